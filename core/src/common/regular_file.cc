// ReadRegularFile of keywarden/regular_file.h.
#include "keywarden/regular_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace keywarden {

std::string_view FileTypeName(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "a regular file";
    case S_IFDIR:
      return "a directory";
    case S_IFIFO:
      return "a FIFO";
    case S_IFSOCK:
      return "a socket";
    case S_IFCHR:
      return "a character device";
    case S_IFBLK:
      return "a block device";
    case S_IFLNK:
      return "a symbolic link";
    default:
      return "not a regular file";
  }
}

Result<std::string> ReadRegularFile(const std::filesystem::path& file, std::string_view what,
                                    size_t max_bytes) {
  const std::string name = fmt::format("{} {}", what, file.string());
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Fail(ErrorCode::kNotFound, name + " does not exist");
    return Fail(err == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kIo,
                fmt::format("cannot open {}: {}", name, std::strerror(err)));
  }
  struct stat st{};
  std::string text;
  std::optional<Error> error;
  if (::fstat(fd, &st) != 0) {
    error = Error{ErrorCode::kIo, fmt::format("cannot stat {}: {}", name, std::strerror(errno))};
  } else if (!S_ISREG(st.st_mode)) {
    error = Error{ErrorCode::kInvalidArgument,
                  fmt::format("{} is {}, not a regular file", name, FileTypeName(st.st_mode))};
  } else if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    error = Error{ErrorCode::kInvalidArgument,
                  fmt::format("{} is larger than {} bytes", name, max_bytes)};
  } else {
    // One byte more than its size, to notice a file that grew meanwhile.
    text.resize(static_cast<size_t>(st.st_size) + 1);
    size_t got = 0;
    while (got < text.size()) {
      ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error =
            Error{ErrorCode::kIo, fmt::format("cannot read {}: {}", name, std::strerror(errno))};
        break;
      }
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    if (!error && got > max_bytes) {
      error = Error{ErrorCode::kInvalidArgument,
                    fmt::format("{} is larger than {} bytes", name, max_bytes)};
    }
    text.resize(got);
  }
  ::close(fd);
  if (error) return std::unexpected(std::move(*error));
  return text;
}

}  // namespace keywarden
