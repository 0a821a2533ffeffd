// What the daemon does before it serves: process hygiene, the single-
// instance lock, private directories and the listening socket.
#pragma once

#include <filesystem>
#include <utility>

#include "keywarden/status.h"

namespace keywarden {

// Not dumpable (no core files, no same-uid ptrace or /proc/PID/mem), no core
// limit, umask 077, and the open-files limit raised to the hard limit.
void HardenProcess();

// Creates `dir` (and parents) with mode 0700 if missing. Refuses a
// directory owned by another uid or writable by group or others.
Status EnsurePrivateDir(const std::filesystem::path& dir);

// An exclusive flock on `file`, held for the life of the object, so two
// daemons never share one state directory.
class InstanceLock {
 public:
  static Result<InstanceLock> Acquire(const std::filesystem::path& file);
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
// (sd_listen_fds), otherwise a new one at `path` (a stale socket file is
// replaced; its directory is checked by EnsureSocketDir) with mode 0600, or
// 0660 in system mode (`shared`), where the group is the daemon's own
// (`keywarden` under the shipped unit). Returns the fd.
Result<int> OpenListenSocket(const std::filesystem::path& path, bool shared, bool* activated);

}  // namespace keywarden
