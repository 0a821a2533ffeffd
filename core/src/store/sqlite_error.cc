#include "store/sqlite_error.h"

#include <cerrno>
#include <cstring>
#include <string_view>

#include "keywarden/store.h"

namespace keywarden {
namespace {
constexpr std::string_view kDiskFull = "disk full: ";
}  // namespace

bool IsDiskFull(const Error& error) {
  return error.code == ErrorCode::kIo && std::string_view(error.message).starts_with(kDiskFull);
}

namespace store {

Error ToError(const SQLite::Exception& e, std::string_view context, sqlite3* db) {
  const int code = e.getErrorCode() & 0xff;
  const int sys_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
  std::string what = std::string(context) + ": " + e.what();
  if (code == SQLITE_FULL || (code == SQLITE_IOERR && sys_errno == ENOSPC)) {
    return Error{ErrorCode::kIo, std::string(kDiskFull) + what,
                 "free space on the state directory's disk"};
  }
  switch (code) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error{ErrorCode::kIntegrity, "database is corrupt: " + what,
                   "restore the database from a backup"};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error{ErrorCode::kIo, "database is locked: " + what,
                   "is another keywardend using the same state directory?"};
    case SQLITE_CONSTRAINT:
      // The constraints a caller can trigger are mapped where they can
      // happen; any other one means the store broke an invariant.
      return Error{ErrorCode::kInternal, "database constraint violated: " + what, ""};
    case SQLITE_NOMEM:
      return Error{ErrorCode::kInternal, what, ""};
    default:
      break;
  }
  if (sys_errno != 0 && (code == SQLITE_IOERR || code == SQLITE_CANTOPEN)) {
    what += std::string(" (") + std::strerror(sys_errno) + ")";
  }
  return Error{ErrorCode::kIo, "database error: " + what, ""};
}

bool InsertUnlessDuplicate(SQLite::Statement& insert) {
  try {
    insert.exec();
    return true;
  } catch (const SQLite::Exception& e) {
    const int extended = e.getExtendedErrorCode();
    if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return false;
    }
    throw;
  }
}

}  // namespace store
}  // namespace keywarden
