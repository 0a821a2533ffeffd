#include "export/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "keywarden/secret.h"
#include "output.h"

namespace keywarden::cli::exporting {
namespace fs = std::filesystem;
namespace {

std::unexpected<Error> IoError(std::string_view what, const fs::path& path, int err = errno) {
  return Fail(ErrorCode::kIo,
              fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(err)));
}

// Closes a descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

fs::path Resolve(const fs::path& file) {
  std::error_code ec;
  if (fs::is_symlink(file, ec)) {
    fs::path target = fs::weakly_canonical(file, ec);
    if (!ec) return target;
  }
  return file;
}

// Creates missing directories 0700; with `tighten`, also makes the last one
// 0700 when it already exists, else only warns that others can enter it.
Status PrepareDirectory(const fs::path& dir, bool secret, bool tighten) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    // Each missing level is made 0700, not just the last.
    if (Status parent = PrepareDirectory(dir.parent_path(), false, false); !parent) return parent;
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return IoError("create directory", dir);
    return {};
  }
  if (!secret) return {};
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return IoError("inspect", dir);
  if ((st.st_mode & 077) == 0) return {};
  if (!tighten) {
    PrintWarning(
        fmt::format("{} is readable by other users (mode {:04o}); the secret file in it is 0600",
                    dir.string(), st.st_mode & 07777));
    return {};
  }
  if (::chmod(dir.c_str(), 0700) != 0) return IoError("set mode 0700 on", dir);
  return {};
}

Status FsyncDirectory(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return IoError("sync directory", dir);
  return {};
}

// Writes `bytes` to a fresh temp file next to `target` with `mode`, syncs it
// and renames it over `target`.
Status ReplaceFile(const fs::path& target, std::string_view bytes, mode_t mode) {
  std::string temp =
      (target.parent_path() / ("." + target.filename().string() + ".keywarden-XXXXXX")).string();
  int raw = ::mkostemp(temp.data(), O_CLOEXEC);
  if (raw < 0) return IoError("create a temporary file in", target.parent_path());
  Fd fd(raw);
  auto fail = [&](std::string_view what) {
    int err = errno;
    ::unlink(temp.c_str());
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
  if (::rename(temp.c_str(), target.c_str()) != 0) return fail("rename");
  return FsyncDirectory(target.parent_path());
}

}  // namespace

fs::path BackupPath(const fs::path& file) { return fs::path(file.string() + ".keywarden.bak"); }

Result<std::optional<std::string>> ReadIfExists(const fs::path& file) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return IoError("read", file);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return IoError("read", file);
  if (!S_ISREG(st.st_mode)) return Fail(ErrorCode::kIo, file.string() + " is not a regular file");
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
  const fs::path file = Resolve(fs::absolute(requested));
  if (Status dir = PrepareDirectory(file.parent_path(), options.secret, options.tighten_dir);
      !dir) {
    return std::unexpected(dir.error());
  }
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
    struct stat st {};
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
  if (*old) {
    // The backup may hold the previous secret, so it is never looser than
    // the file it copies.
    mode_t backup_mode = options.secret ? 0600 : mode;
    if (Status kept = ReplaceFile(BackupPath(file), **old, backup_mode); !kept) {
      return std::unexpected(kept.error());
    }
  }
  if (Status written = ReplaceFile(file, bytes, mode); !written) {
    return std::unexpected(written.error());
  }
  return *old ? WriteOutcome::kReplaced : WriteOutcome::kCreated;
}

}  // namespace keywarden::cli::exporting
