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

// The listening socket: the one passed by systemd socket activation if any
// (sd_listen_fds), otherwise a new one at `path` (a stale socket file is
// replaced; its directory must be private) with mode `mode`. Returns the fd.
Result<int> OpenListenSocket(const std::filesystem::path& path, unsigned mode,
                             bool* activated);

}  // namespace keywarden
