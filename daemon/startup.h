// What the daemon does before it serves: process hygiene, the single-
// instance lock, private directories and the listening socket.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>
#include <utility>

#include "keywarden/status.h"

namespace keywarden {

// Not dumpable (no core files, no same-uid ptrace or /proc/PID/mem), no core
// limit, umask 077, and the open-files limit raised to the hard limit.
void HardenProcess();

// Creates `dir` (and parents) with mode 0700 if missing. Refuses a
// directory owned by another uid or writable by group or others.
Status EnsurePrivateDir(const std::filesystem::path& dir);

// Refuses a database file that exists but is empty (0 bytes): SQLite would
// take it for a new database, and the store it held would be replaced
// without a word. keywardend's own first start writes the file's first page
// at once, so only a lost or truncated database is ever empty.
Status CheckDatabaseNotEmptied(const std::filesystem::path& db_file);

// An exclusive flock on `file`, held for the life of the object, so two
// daemons never share one state directory (or one socket path). `what`
// names the guarded thing in the kConflict error ("another keywardend
// already runs on <what> (pid N)"), with `hint`.
class InstanceLock {
 public:
  static Result<InstanceLock> Acquire(const std::filesystem::path& file,
                                      std::string_view what = "this state directory",
                                      std::string_view hint =
                                          "stop it first, or give this one "
                                          "another --home");
  InstanceLock(InstanceLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  InstanceLock& operator=(InstanceLock&&) = delete;
  InstanceLock(const InstanceLock&) = delete;
  ~InstanceLock();

 private:
  explicit InstanceLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The directory of a self-created socket. User mode: as EnsurePrivateDir.
// System mode (`shared`): created 0755 if missing, and it must belong to
// the daemon's uid and be writable by nobody else, so that no other user
// can replace the socket; others may search it to reach the socket.
Status EnsureSocketDir(const std::filesystem::path& dir, bool shared);

// The listening socket: the one passed by systemd socket activation if any
// (sd_listen_fds), otherwise a new one at `path` (its directory is checked
// by EnsureSocketDir) with mode 0600, or 0660 in system mode (`shared`),
// where the group is the daemon's own (`keywarden` under the shipped unit).
// A self-created socket is guarded by `*lock`, an InstanceLock on
// `<path>.lock` held as long as the daemon runs. A socket file already at
// `path` is replaced only if it is stale: kConflict, naming the path, if
// another daemon holds the lock or answers a connect() there. Returns the fd.
Result<int> OpenListenSocket(const std::filesystem::path& path, bool shared, bool* activated,
                             std::optional<InstanceLock>* lock);

}  // namespace keywarden
