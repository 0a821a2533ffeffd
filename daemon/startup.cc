#include "startup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "log.h"

namespace keywarden {
namespace {

std::string Errno() { return std::strerror(errno); }

// True if something accepts connections at `address` (or its backlog is
// full); false for a stale socket file nobody listens on.
bool Answers(const sockaddr_un& address) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  bool answers = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0 ||
                 errno == EAGAIN || errno == EINPROGRESS;
  ::close(fd);
  return answers;
}

}  // namespace

void HardenProcess() {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  rlimit none{0, 0};
  ::setrlimit(RLIMIT_CORE, &none);
  ::umask(077);
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
}

Status EnsurePrivateDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Fail(ErrorCode::kIo, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  }
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) {
    return Fail(ErrorCode::kIo, fmt::format("cannot stat {}: {}", dir.string(), Errno()));
  }
  if (st.st_uid != ::geteuid()) {
    return Fail(ErrorCode::kPermissionDenied,
                fmt::format("{} belongs to uid {}, not to this daemon's uid {}", dir.string(),
                            st.st_uid, ::geteuid()),
                "run keywardend as the directory's owner or choose another --home");
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return Fail(ErrorCode::kPermissionDenied,
                fmt::format("{} is writable by group or others (mode {:o})", dir.string(),
                            st.st_mode & 07777),
                fmt::format("chmod 700 {}", dir.string()));
  }
  // Readable by others is merely loose: tighten it rather than refuse.
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    return Fail(ErrorCode::kIo, fmt::format("cannot chmod 700 {}: {}", dir.string(), Errno()));
  }
  return {};
}

Status CheckDatabaseNotEmptied(const std::filesystem::path& db_file) {
  struct stat st{};
  if (::stat(db_file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0) return {};
  return Fail(
      ErrorCode::kIntegrity,
      fmt::format("{} is empty (0 bytes): the database was lost or truncated", db_file.string()),
      "restore keywarden.db together with its master.key from a backup "
      "(docs/storage-format.md \"Backup and restore\"); if this home never held a key, "
      "remove the empty file");
}

Result<InstanceLock> InstanceLock::Acquire(const std::filesystem::path& file, std::string_view what,
                                           std::string_view hint) {
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  if (fd < 0)
    return Fail(ErrorCode::kIo, fmt::format("cannot open {}: {}", file.string(), Errno()));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char text[24] = {};
    ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
    std::string pid(text, n > 0 ? static_cast<size_t>(n) : 0);
    pid.erase(std::min(pid.find_first_not_of("0123456789"), pid.size()));
    ::close(fd);
    return Fail(ErrorCode::kConflict,
                fmt::format("another keywardend already runs on {} (pid {})", what,
                            pid.empty() ? "unknown" : pid),
                std::string(hint));
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    log::Warning("cannot write pid to lock file", {{"file", file.string()}});
  }
  return InstanceLock(fd);
}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);
}

Status EnsureSocketDir(const std::filesystem::path& dir, bool shared) {
  if (!shared) return EnsurePrivateDir(dir);
  std::error_code ec;
  if (std::filesystem::create_directories(dir, ec) && ::chmod(dir.c_str(), 0755) != 0) {
    return Fail(ErrorCode::kIo, fmt::format("cannot chmod 755 {}: {}", dir.string(), Errno()));
  }
  if (ec) {
    return Fail(ErrorCode::kIo, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  }
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) {
    return Fail(ErrorCode::kIo, fmt::format("cannot stat {}: {}", dir.string(), Errno()));
  }
  if (st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
    return Fail(ErrorCode::kPermissionDenied,
                fmt::format("socket directory {} must belong to uid {} and be writable by no one "
                            "else (it is uid {}, mode {:o})",
                            dir.string(), ::geteuid(), st.st_uid, st.st_mode & 07777),
                "use the shipped keywardend.socket unit, or fix the directory's owner and mode");
  }
  return {};
}

Result<int> OpenListenSocket(const std::filesystem::path& path, bool shared, bool* activated,
                             std::optional<InstanceLock>* lock) {
  *activated = false;
  int passed = sd_listen_fds(1);
  if (passed > 1) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("systemd passed {} sockets; keywardend expects one", passed));
  }
  if (passed == 1) {
    if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, nullptr, 0) <= 0) {
      return Fail(ErrorCode::kInvalidArgument,
                  "the socket passed by systemd is not a listening Unix stream socket");
    }
    *activated = true;
    return SD_LISTEN_FDS_START;
  }

  if (Status ok = EnsureSocketDir(path.parent_path(), shared); !ok) {
    return std::unexpected(ok.error());
  }
  const unsigned mode = shared ? 0660 : 0600;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof(address.sun_path)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("socket path {} is too long for a Unix socket", path.string()),
                "choose a shorter --home or --socket");
  }
  std::strcpy(address.sun_path, path.c_str());
  // Two daemons on two homes may be given one --socket: the lock beside the
  // socket, not the state directory's, says whether the file is ours to replace.
  Result<InstanceLock> socket_lock =
      InstanceLock::Acquire(path.string() + ".lock", "socket " + path.string(),
                            "stop it first, or give this one another --socket");
  if (!socket_lock) return std::unexpected(socket_lock.error());
  lock->emplace(std::move(*socket_lock));
  // A socket file left by a daemon that was killed is stale. One that
  // answers belongs to a daemon that holds no lock on it (one started by
  // systemd, or another version): it is never unlinked.
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Fail(ErrorCode::kConflict, fmt::format("{} exists and is not a socket", path.string()),
                  "move the file away or choose another --socket");
    }
    if (Answers(address)) {
      return Fail(ErrorCode::kConflict,
                  fmt::format("another daemon already answers on socket {}", path.string()),
                  "stop it first, or give this one another --socket");
    }
    ::unlink(path.c_str());
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(ErrorCode::kIo, "cannot create socket: " + Errno());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::chmod(path.c_str(), mode) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    std::string why = Errno();
    ::close(fd);
    return Fail(ErrorCode::kIo, fmt::format("cannot listen on {}: {}", path.string(), why));
  }
  return fd;
}

}  // namespace keywarden
