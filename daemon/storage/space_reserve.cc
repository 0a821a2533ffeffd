#include "storage/space_reserve.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "keywarden/clock.h"
#include "keywarden/unique_fd.h"
#include "log.h"

namespace keywarden {
namespace {

constexpr mode_t kPrivateMode = 0600;

std::string Mib(int64_t bytes) { return fmt::format("{:.1f} MiB", bytes / 1048576.0); }

std::optional<int64_t> FreeBytes(const std::filesystem::path& dir) {
  struct statvfs fs{};
  if (::statvfs(dir.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
}

// fallocate(2), or zeros written where the file system has no fallocate.
int AllocateBlocks(int fd, int64_t bytes) {
  if (::fallocate(fd, 0, 0, bytes) == 0) return 0;
  if (errno != EOPNOTSUPP) return errno;
  const std::vector<char> zeros(1 << 16, 0);
  for (int64_t at = 0; at < bytes;) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(bytes - at, zeros.size()));
    const ssize_t wrote = ::pwrite(fd, zeros.data(), n, at);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    at += wrote;
  }
  return ::fsync(fd) == 0 ? 0 : errno;
}

}  // namespace

std::string_view SpaceReserve::StateName(State state) {
  switch (state) {
    case State::kHeld:
      return "held";
    case State::kUsed:
      return "used";
    case State::kMissing:
      return "missing";
  }
  return "missing";
}

int64_t SpaceReserve::allocated() const {
  struct stat st{};
  if (::lstat(file_.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return static_cast<int64_t>(st.st_blocks) * 512;
}

Status SpaceReserve::Make() {
  if (state_ == State::kHeld && allocated() >= bytes_) return {};
  Status made = Allocate();
  if (made) {
    state_ = State::kHeld;
    detail_.clear();
    return made;
  }
  if (state_ != State::kUsed) state_ = State::kMissing;
  detail_ = made.error().message;
  return made;
}

Status SpaceReserve::Allocate() {
  const std::string name = file_.string();
  // O_NONBLOCK: a FIFO planted here must not hang the daemon.
  UniqueFd fd(
      ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, kPrivateMode));
  if (fd.get() < 0) {
    return Fail(ErrorCode::kIo, fmt::format("cannot open {}: {}", name, std::strerror(errno)));
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Fail(ErrorCode::kIo, fmt::format("{} is not a regular file", name),
                "move it away; keywardend makes the reserve itself");
  }
  if ((st.st_mode & 07777) != kPrivateMode && ::fchmod(fd.get(), kPrivateMode) != 0) {
    return Fail(ErrorCode::kIo,
                fmt::format("cannot chmod 0600 {}: {}", name, std::strerror(errno)));
  }
  const int64_t held = static_cast<int64_t>(st.st_blocks) * 512;
  if (held >= bytes_) return {};  // kept from before (a restart)
  const std::optional<int64_t> free = FreeBytes(file_.parent_path());
  // What remains free once the reserve is whole must be a reserve's worth.
  if (free && *free + held < 2 * bytes_) {
    (void)::ftruncate(fd.get(), 0);
    return Fail(ErrorCode::kIo, fmt::format("only {} free; the reserve is made once {} are",
                                            Mib(*free + held), Mib(2 * bytes_)));
  }
  if (const int error = AllocateBlocks(fd.get(), bytes_); error != 0) {
    (void)::ftruncate(fd.get(), 0);
    return Fail(ErrorCode::kIo, fmt::format("cannot allocate {} for {}: {}", Mib(bytes_), name,
                                            std::strerror(error)));
  }
  return {};
}

bool SpaceReserve::Release(int64_t now) {
  if (state_ != State::kHeld) return false;
  state_ = State::kUsed;
  used_at_ = now;
  detail_.clear();
  UniqueFd fd(::open(file_.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0) return errno == ENOENT;  // deleted by hand: its space is free already
  if (::ftruncate(fd.get(), 0) != 0) return false;
  // The sync commits the truncation: a journalling file system (ext4) may
  // hand out freed blocks only after that.
  (void)::fsync(fd.get());
  return true;
}

bool ReleaseForRetry(SpaceReserve* reserve, const Error& error, std::string_view what,
                     const std::string& ref) {
  if (reserve == nullptr || !IsDiskFull(error)) return false;
  const int64_t bytes = reserve->allocated();
  if (!reserve->Release(NowSeconds())) {
    log::Error(fmt::format("disk full: cannot {}; the space reserve is used up", what),
               {{"ref", ref}, {"reserve", reserve->file().string()}});
    return false;
  }
  log::Warning(
      fmt::format("disk full: released the space reserve to {}", what),
      {{"ref", ref}, {"reserve", reserve->file().string()}, {"bytes", std::to_string(bytes)}});
  return true;
}

DatabaseSize MeasureDatabase(const std::filesystem::path& db_file) {
  DatabaseSize size;
  struct stat st{};
  if (::stat(db_file.c_str(), &st) == 0) size.file = st.st_size;
  if (::stat((db_file.string() + "-wal").c_str(), &st) == 0) size.wal = st.st_size;
  size.disk_free = FreeBytes(db_file.parent_path());
  return size;
}

}  // namespace keywarden
