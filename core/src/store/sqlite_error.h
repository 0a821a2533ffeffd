// The one place SQLite and SQLiteCpp failures become keywarden Errors.
// Nothing thrown by SQLiteCpp (or by code run under Guard) leaves
// core/src/store.
#pragma once

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "keywarden/status.h"

namespace keywarden::store {

// Maps a SQLite failure to an Error whose message starts with `context`
// (e.g. "add slot dev/x"). `db` (may be null) supplies the OS errno so that
// ENOSPC reads as "disk full" even when SQLite reports a generic I/O error.
//   SQLITE_FULL / ENOSPC          -> kIo "disk full: ..."
//   SQLITE_CORRUPT / SQLITE_NOTADB -> kIntegrity
//   SQLITE_BUSY / SQLITE_LOCKED   -> kIo with a hint about another process
//   SQLITE_CONSTRAINT             -> kInternal (callers map the expected ones)
//   anything else                 -> kIo
Error ToError(const SQLite::Exception& e, std::string_view context, sqlite3* db = nullptr);

// Runs `body` (returning Result<T>) and converts any exception it throws
// into an Error, so callers can write straight-line SQLiteCpp code.
template <class F>
auto Guard(std::string_view context, sqlite3* db, F&& body) -> decltype(body()) {
  try {
    return std::forward<F>(body)();
  } catch (const SQLite::Exception& e) {
    return std::unexpected(ToError(e, context, db));
  } catch (const std::bad_alloc&) {
    return Fail(ErrorCode::kInternal, std::string(context) + ": out of memory");
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, std::string(context) + ": " + e.what());
  }
}

// Runs `insert`; returns false instead of throwing if it would duplicate a
// UNIQUE or PRIMARY KEY value. Other failures throw SQLite::Exception.
bool InsertUnlessDuplicate(SQLite::Statement& insert);

}  // namespace keywarden::store
