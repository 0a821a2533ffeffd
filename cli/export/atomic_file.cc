#include "export/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <ctime>

#include "keywarden/secret.h"
#include "keywarden/unique_fd.h"
#include "output.h"

namespace keywarden::cli::exporting {
namespace fs = std::filesystem;
namespace {

std::unexpected<Error> IoError(std::string_view what, const fs::path& path, int err = errno) {
  return Fail(ErrorCode::kIo,
              fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(err)));
}

// Creates missing directories 0700. An existing directory is the user's
// (or, through a symlink, anyone's): its mode is left alone, and only
// warned about when a secret goes in and others can enter it.
Status PrepareDirectory(const fs::path& dir, bool secret) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    // Each missing level is made 0700, not just the last.
    if (Status parent = PrepareDirectory(dir.parent_path(), false); !parent) return parent;
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return IoError("create directory", dir);
    return {};
  }
  if (!secret) return {};
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) return IoError("inspect", dir);
  if ((st.st_mode & 077) == 0) return {};
  PrintWarning(
      fmt::format("{} is readable by other users (mode {:04o}); the secret file in it is 0600",
                  dir.string(), st.st_mode & 07777));
  return {};
}

// The temp file being written, for the signal handler: a path in a static
// buffer, set and cleared with the signals blocked.
char g_temp_path[PATH_MAX];
volatile sig_atomic_t g_temp_set = 0;
constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};

// Async-signal-safe: unlinks the temp file, then dies of the signal as if
// it had not been caught (SA_RESETHAND restored the default action; the
// re-raised signal is delivered when the handler returns).
void RemoveTempAndDie(int signal) {
  if (g_temp_set) ::unlink(g_temp_path);
  ::raise(signal);
}

void InstallCleanupHandlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  struct sigaction action{};
  action.sa_handler = RemoveTempAndDie;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int signal : kCleanupSignals) {
    struct sigaction old{};
    // A signal the invoker ignores (nohup's SIGHUP) stays ignored.
    if (::sigaction(signal, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    ::sigaction(signal, &action, nullptr);
  }
}

// Blocks the cleanup signals while alive, so that the handler's path and
// flag change together with the file they name.
class SignalsBlocked {
 public:
  SignalsBlocked() {
    sigset_t set;
    sigemptyset(&set);
    for (int signal : kCleanupSignals) sigaddset(&set, signal);
    ::sigprocmask(SIG_BLOCK, &set, &saved_);
  }
  ~SignalsBlocked() { ::sigprocmask(SIG_SETMASK, &saved_, nullptr); }
  SignalsBlocked(const SignalsBlocked&) = delete;
  SignalsBlocked& operator=(const SignalsBlocked&) = delete;

 private:
  sigset_t saved_;
};

// ".NAME.keywarden-": every temp file for NAME starts so.
std::string TempPrefix(const fs::path& target) {
  return "." + target.filename().string() + ".keywarden-";
}

// Removes the temp files a killed export left next to `target`: named
// PREFIX + PID + "-" + 6 characters (or, from older versions, PREFIX + 6
// characters), regular files owned by this user, whose creator is dead or
// that are older than a minute (older versions' files: ten seconds).
void RemoveStaleTemps(const fs::path& target) {
  const std::string prefix = TempPrefix(target);
  const fs::path dir = target.parent_path();
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::string_view rest = std::string_view(name).substr(prefix.size());
    auto is_random = [](std::string_view s) {
      if (s.size() != 6) return false;
      for (char c : s) {
        if (!std::isalnum(static_cast<unsigned char>(c))) return false;
      }
      return true;
    };
    pid_t pid = 0;
    time_t max_age = 10;
    if (size_t dash = rest.find('-'); dash != std::string_view::npos) {
      // NOLINTNEXTLINE(bugprone-suspicious-stringview-data-usage): from_chars reads a range
      auto [end, error] = std::from_chars(rest.data(), rest.data() + dash, pid);
      if (error != std::errc() || end != rest.data() + dash || pid <= 0 ||
          !is_random(rest.substr(dash + 1))) {
        continue;
      }
      max_age = 60;
    } else if (!is_random(rest)) {
      continue;
    }
    struct stat st{};
    if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_uid != ::geteuid()) {
      continue;
    }
    const bool dead = pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
    const bool old = std::time(nullptr) - st.st_mtime > max_age;
    if ((dead && pid != ::getpid()) || old) ::unlink(entry.path().c_str());
  }
}

Status FsyncDirectory(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return IoError("sync directory", dir);
  return {};
}

// Writes `bytes` to a fresh temp file next to `target` with `mode`, syncs it
// and renames it over `target`.
Status ReplaceFile(const fs::path& target, std::string_view bytes, mode_t mode) {
  std::string temp =
      (target.parent_path() / fmt::format("{}{}-XXXXXX", TempPrefix(target), ::getpid())).string();
  if (temp.size() >= sizeof(g_temp_path))
    return IoError("create a temporary file in", target, ENAMETOOLONG);
  InstallCleanupHandlers();
  int raw = -1;
  {
    SignalsBlocked blocked;
    raw = ::mkostemp(temp.data(), O_CLOEXEC);
    if (raw >= 0) {
      std::memcpy(g_temp_path, temp.c_str(), temp.size() + 1);
      g_temp_set = 1;
    }
  }
  if (raw < 0) return IoError("create a temporary file in", target.parent_path());
  UniqueFd fd(raw);
  struct Forget {  // once renamed or removed, the handler has nothing to remove
    ~Forget() {
      SignalsBlocked blocked;
      g_temp_set = 0;
    }
  } forget;
  auto fail = [&](std::string_view what) {
    int err = errno;
    SignalsBlocked blocked;
    ::unlink(temp.c_str());
    g_temp_set = 0;
    return IoError(what, temp, err);
  };
  if (::fchmod(fd.get(), mode) != 0) return fail("set the mode of");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("sync");
  {
    SignalsBlocked blocked;
    if (::rename(temp.c_str(), target.c_str()) != 0) return fail("rename");
    g_temp_set = 0;
  }
  return FsyncDirectory(target.parent_path());
}

}  // namespace

fs::path BackupPath(const fs::path& file, const fs::path& backup_dir) {
  return backup_dir / fs::absolute(file).relative_path();
}

Result<std::optional<fs::path>> MoveOldBackup(const fs::path& requested,
                                              const fs::path& backup_dir) {
  const fs::path file = ReplacedFile(requested);
  const fs::path old_place(file.string() + ".keywarden.bak");
  struct stat st{};
  if (::lstat(old_place.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
    return std::optional<fs::path>();
  }
  Result<std::optional<std::string>> bytes = ReadIfExists(old_place);
  if (!bytes) return std::unexpected(bytes.error());
  if (!*bytes) return std::optional<fs::path>();
  struct WipeOnExit {
    std::string& bytes;
    ~WipeOnExit() { Wipe(bytes); }
  } wipe{**bytes};
  const fs::path new_place(BackupPath(file, backup_dir).string() + ".older");
  if (Status dir = PrepareDirectory(new_place.parent_path(), false); !dir) {
    return std::unexpected(dir.error());
  }
  if (Status kept = ReplaceFile(new_place, **bytes, 0600); !kept) {
    return std::unexpected(kept.error());
  }
  if (::unlink(old_place.c_str()) != 0) return IoError("remove", old_place);
  return std::optional<fs::path>(new_place);
}

fs::path ReplacedFile(const fs::path& file) {
  const fs::path absolute = fs::absolute(file);
  std::error_code ec;
  if (fs::is_symlink(absolute, ec)) {
    fs::path target = fs::weakly_canonical(absolute, ec);
    if (!ec) return target;
  }
  return absolute;
}

Result<std::optional<std::string>> ReadIfExists(const fs::path& file) {
  // Non-blocking: opening a FIFO for reading would wait for a writer.
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return IoError("read", file);
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return IoError("read", file);
  if (!S_ISREG(st.st_mode)) {
    const char* kind = S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                                              : "a special file";
    return Fail(
        ErrorCode::kIo,
        fmt::format("{} is {}, not a regular file; nothing was written", file.string(), kind),
        "give --path a regular file, or a path where none exists yet");
  }
  std::string bytes;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("read", file);
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(bytes));
}

Result<WriteOutcome> WriteAtomically(const fs::path& requested, std::string_view bytes,
                                     const WriteOptions& options) {
  const fs::path file = ReplacedFile(requested);
  if (Status dir = PrepareDirectory(file.parent_path(), options.secret); !dir) {
    return std::unexpected(dir.error());
  }
  RemoveStaleTemps(file);
  const fs::path backup =
      options.backup_dir.empty() ? fs::path() : BackupPath(file, options.backup_dir);
  if (!backup.empty()) RemoveStaleTemps(backup);
  Result<std::optional<std::string>> old = ReadIfExists(file);
  if (!old) return std::unexpected(old.error());
  // The old bytes may hold the previous secret.
  struct WipeOnExit {
    std::optional<std::string>& bytes;
    ~WipeOnExit() {
      if (bytes) Wipe(*bytes);
    }
  } wipe_old{*old};

  mode_t mode = 0644;
  if (*old) {
    struct stat st{};
    if (::stat(file.c_str(), &st) != 0) return IoError("inspect", file);
    mode = st.st_mode & 07777;
  } else {
    mode_t mask = ::umask(0);
    ::umask(mask);
    mode &= ~mask;
  }
  if (options.secret) mode = 0600;

  if (*old && **old == bytes) {
    if (options.secret && ::chmod(file.c_str(), mode) != 0)
      return IoError("set mode 0600 on", file);
    return WriteOutcome::kUnchanged;
  }
  if (*old && !backup.empty()) {
    // The backup may hold a secret (the previous key, other providers'
    // keys), whatever the file's own mode: 0600, in 0700 directories.
    if (Status dir = PrepareDirectory(backup.parent_path(), false); !dir) {
      return std::unexpected(dir.error());
    }
    if (Status kept = ReplaceFile(backup, **old, 0600); !kept) {
      return std::unexpected(kept.error());
    }
  }
  if (Status written = ReplaceFile(file, bytes, mode); !written) {
    return std::unexpected(written.error());
  }
  return *old ? WriteOutcome::kReplaced : WriteOutcome::kCreated;
}

}  // namespace keywarden::cli::exporting
