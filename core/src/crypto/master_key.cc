// Master key files: exactly 32 raw bytes, mode 0600, read straight into
// secure memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>
#include <utility>

#include "keywarden/crypto.h"
#include "keywarden/regular_file.h"

namespace keywarden {
namespace {

namespace fs = std::filesystem;

std::string ErrnoText(int err) { return std::generic_category().message(err); }

// Owns a file descriptor; not copyable.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }

  int get() const { return fd_; }
  // Closes now and reports close(2)'s result: some filesystems only report
  // a failed write there.
  bool Close() { return ::close(std::exchange(fd_, -1)) == 0; }

 private:
  int fd_;
};

Error IoError(std::string what, const fs::path& file, int err) {
  return {ErrorCode::kIo, what + " " + file.string() + ": " + ErrnoText(err)};
}

std::string ModeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

Status WriteAll(int fd, const uint8_t* data, size_t size, const fs::path& file) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(IoError("cannot write master key file", file, errno));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

// Writes `key`, then makes the file and its directory entry durable.
Status WriteDurably(FileDescriptor& fd, const SecretBuffer& key, const fs::path& file) {
  // The creation mode is filtered by the umask; the contract is exactly 0600.
  if (::fchmod(fd.get(), 0600) != 0) return std::unexpected(IoError("cannot chmod", file, errno));
  if (Status s = WriteAll(fd.get(), key.data(), key.size(), file); !s) return s;
  if (::fsync(fd.get()) != 0) return std::unexpected(IoError("cannot fsync", file, errno));
  if (!fd.Close()) return std::unexpected(IoError("cannot close", file, errno));
  fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  FileDescriptor dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) return std::unexpected(IoError("cannot open directory", dir, errno));
  if (::fsync(dir_fd.get()) != 0) return std::unexpected(IoError("cannot fsync", dir, errno));
  return {};
}

}  // namespace

Result<SecretBuffer> ReadMasterKey(const fs::path& file) {
  const std::string name = file.string();
  // O_NONBLOCK: a FIFO put in the key's place must not hang the daemon
  // waiting for a writer; it is opened at once and refused below.
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    int err = errno;
    if (err == ENOENT)
      return Fail(ErrorCode::kNotFound, "master key file " + name + " does not exist");
    if (err == EACCES) {
      return Fail(ErrorCode::kPermissionDenied,
                  "cannot read master key file " + name + ": " + ErrnoText(err));
    }
    return std::unexpected(IoError("cannot open master key file", file, err));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return std::unexpected(IoError("cannot stat master key file", file, errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Fail(ErrorCode::kInvalidArgument, "master key file " + name + " is " +
                                                 std::string(FileTypeName(st.st_mode)) +
                                                 ", not a regular file");
  }
  // Checked before the size so that a key others can read is never used:
  // it must be treated as disclosed, and the user must decide.
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Fail(ErrorCode::kPermissionDenied,
                "master key file " + name + " is accessible by group or others (mode " +
                    ModeText(st.st_mode) + ")",
                "run: chmod 600 " + name);
  }
  if (st.st_size != static_cast<off_t>(kKeyBytes)) {
    return Fail(ErrorCode::kInvalidArgument, "master key file " + name + " has " +
                                                 std::to_string(st.st_size) + " bytes, expected " +
                                                 std::to_string(kKeyBytes));
  }
  SecretBuffer key(kKeyBytes);
  size_t got = 0;
  while (got < key.size()) {
    ssize_t n = ::read(fd.get(), key.data() + got, key.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(IoError("cannot read master key file", file, errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != kKeyBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                "master key file " + name + " changed while being read");
  }
  return key;
}

Result<SecretBuffer> CreateMasterKey(const fs::path& file) {
  FileDescriptor fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600));
  if (fd.get() < 0) {
    int err = errno;
    if (err == EEXIST) {
      return Fail(ErrorCode::kAlreadyExists,
                  "master key file " + file.string() + " already exists");
    }
    if (err == EACCES) {
      return Fail(ErrorCode::kPermissionDenied,
                  "cannot create master key file " + file.string() + ": " + ErrnoText(err));
    }
    return std::unexpected(IoError("cannot create master key file", file, err));
  }
  SecretBuffer key = RandomKey();
  if (Status written = WriteDurably(fd, key, file); !written) {
    // A partial key file would make every later start fail; leave none.
    ::unlink(file.c_str());
    return std::unexpected(written.error());
  }
  return key;
}

}  // namespace keywarden
