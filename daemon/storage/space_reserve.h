// Disk space kept for the writes that must work on a full disk: revoking a
// leaked key and removing a slot (docs/storage-format.md "The space
// reserve"). A file of preallocated blocks beside the database is given
// back to the file system when such a write fails for want of space, and
// the write runs once more in the space it freed. Everything else (get,
// export, exec first of all) fails closed on a full disk as before.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "keywarden/status.h"
#include "keywarden/store.h"

namespace keywarden {

// Neither copyable nor movable. Used only from the io_context's thread.
class SpaceReserve {
 public:
  static constexpr int64_t kBytes = 8 << 20;

  enum class State {
    kHeld,     // the file holds `bytes()` of allocated blocks
    kUsed,     // given back for a revoke or rm; made again when space allows
    kMissing,  // could not be made (too little space, or an error): see detail()
  };

  // `file` is not touched until Make().
  explicit SpaceReserve(std::filesystem::path file, int64_t bytes = kBytes)
      : file_(std::move(file)), bytes_(bytes) {}
  SpaceReserve(const SpaceReserve&) = delete;
  SpaceReserve& operator=(const SpaceReserve&) = delete;

  // Allocates the file's blocks (fallocate; a regular file, mode 0600, no
  // symlink followed) unless the reserve is held already. Only while the
  // file system has at least twice `bytes()` free beyond what the file
  // holds, so that making the reserve never fills the disk by itself.
  // On failure the file is truncated to nothing, the state becomes kMissing
  // (kUsed stays kUsed) and the reason is returned and kept in detail().
  Status Make();
  // Truncates the file to nothing and syncs it, so that its blocks are free
  // for the next write. False if the reserve held nothing.
  bool Release(int64_t now);

  State state() const { return state_; }
  static std::string_view StateName(State state);
  const std::filesystem::path& file() const { return file_; }
  int64_t bytes() const { return bytes_; }
  // Bytes allocated to the file now (0 if it does not exist).
  int64_t allocated() const;
  std::optional<int64_t> used_at() const { return used_at_; }
  const std::string& detail() const { return detail_; }

 private:
  Status Allocate();

  const std::filesystem::path file_;
  const int64_t bytes_;
  State state_ = State::kMissing;
  std::optional<int64_t> used_at_;  // the last Release
  std::string detail_ = "not made yet";
};

// The detail of an event whose write used the reserve.
inline constexpr std::string_view kReserveUsedDetail =
    "disk full: the space reserve was released for this";

// Runs `write` (a revoke or rm that records `event`). If it fails because
// the disk is full and `reserve` (may be null) holds space, releases it,
// logs that and runs `write` once more with the event's detail saying the
// reserve was used. `what` and `ref` name the write in the log.
template <class T>
Result<T> WithSpaceReserve(SpaceReserve* reserve, std::string_view what, const std::string& ref,
                           Event event, const std::function<Result<T>(const Event&)>& write);

// Releases `reserve` for a retry of a write that failed with `error`:
// true if the error is a full disk and the reserve held space (then it is
// logged). The non-template part of WithSpaceReserve.
bool ReleaseForRetry(SpaceReserve* reserve, const Error& error, std::string_view what,
                     const std::string& ref);

template <class T>
Result<T> WithSpaceReserve(SpaceReserve* reserve, std::string_view what, const std::string& ref,
                           Event event, const std::function<Result<T>(const Event&)>& write) {
  Result<T> done = write(event);
  if (done || !ReleaseForRetry(reserve, done.error(), what, ref)) return done;
  event.detail = event.detail.empty() ? std::string(kReserveUsedDetail)
                                      : event.detail + "; " + std::string(kReserveUsedDetail);
  return write(event);
}

// The size of the database on disk, for `status`.
struct DatabaseSize {
  int64_t file = 0;                  // keywarden.db
  int64_t wal = 0;                   // keywarden.db-wal (0 if absent)
  std::optional<int64_t> disk_free;  // bytes free to this process on its file system
};
DatabaseSize MeasureDatabase(const std::filesystem::path& db_file);

}  // namespace keywarden
