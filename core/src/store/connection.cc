#include "store/connection.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string>

#include "store/migrations.h"
#include "store/sqlite_error.h"

namespace keywarden::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr mode_t kPrivateMode = 0600;

Status IoFailure(const std::string& what, const std::filesystem::path& file) {
  return Fail(ErrorCode::kIo, what + " " + file.string() + ": " + std::strerror(errno));
}

// Gives `file` mode 0600 if it exists with any group or other bit set.
// Fails if it is not a regular file we can restrict.
Status Restrict(const std::filesystem::path& file) {
  struct stat st{};
  if (lstat(file.c_str(), &st) != 0) {
    return errno == ENOENT ? Status{} : IoFailure("cannot stat", file);
  }
  if (!S_ISREG(st.st_mode)) {
    return Fail(ErrorCode::kIo, file.string() + " is not a regular file");
  }
  if ((st.st_mode & 0777) == kPrivateMode) return {};
  if (chmod(file.c_str(), kPrivateMode) != 0) return IoFailure("cannot chmod 0600", file);
  return {};
}

// Creates an empty `file` with mode 0600 unless it exists, so that SQLite,
// which gives -wal and -shm the mode of the database, never makes a file
// readable by others. An empty file is a valid empty database.
Status CreatePrivate(const std::filesystem::path& file) {
  const int fd =
      open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, kPrivateMode);
  if (fd >= 0) {
    close(fd);
    return Restrict(file);  // in case the umask removed owner bits we need
  }
  if (errno == EEXIST) return Restrict(file);
  return IoFailure("cannot create", file);
}

// Sets `pragma` to `value` and checks that reading it back gives `expect`:
// SQLite ignores pragmas it cannot honour instead of failing.
Status SetPragma(SQLite::Database& db, const std::string& pragma, const std::string& value,
                 const std::string& expect) {
  db.exec("PRAGMA " + pragma + " = " + value);
  std::string got = db.execAndGet("PRAGMA " + pragma).getString();
  if (got != expect) {
    return Fail(ErrorCode::kIo, "cannot set " + pragma + " to " + value + ": it reads " + got);
  }
  return {};
}

Status QuickCheck(SQLite::Database& db, const std::filesystem::path& file) {
  std::string first = db.execAndGet("PRAGMA quick_check").getString();
  if (first != "ok") {
    return Fail(ErrorCode::kIntegrity,
                "database " + file.string() + " failed quick_check: " + first,
                "restore the database from a backup");
  }
  return {};
}

Status Configure(SQLite::Database& db, const std::filesystem::path& file) {
  db.setBusyTimeout(kBusyTimeoutMs);
  // journal_mode answers with the mode in force, which stays "delete" when
  // WAL is impossible (e.g. on a file system without shared memory).
  if (auto s = SetPragma(db, "journal_mode", "WAL", "wal"); !s) return s;
  if (auto s = SetPragma(db, "synchronous", "FULL", "2"); !s) return s;
  if (auto s = SetPragma(db, "secure_delete", "ON", "1"); !s) return s;
  if (auto s = QuickCheck(db, file); !s) return s;
  // Migrations run with foreign keys off so one may rebuild a table;
  // Migrate runs foreign_key_check before each commit instead.
  if (auto s = SetPragma(db, "foreign_keys", "OFF", "0"); !s) return s;
  if (auto s = Migrate(db); !s) return s;
  return SetPragma(db, "foreign_keys", "ON", "1");
}

}  // namespace

Connection::Use Connection::Prepare(const std::string& sql) {
  std::unique_ptr<SQLite::Statement>& kept = kept_[sql];
  if (!kept) {
    try {
      kept = std::make_unique<SQLite::Statement>(*this, sql);
    } catch (...) {
      kept_.erase(sql);
      throw;
    }
  } else {
    kept->clearBindings();
  }
  return Use(*kept);
}

void Connection::Run(const std::string& sql) { Prepare(sql)->exec(); }

bool Connection::TryRun(const std::string& sql) noexcept {
  try {
    Run(sql);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

Connection::RawUse::~RawUse() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

bool Connection::RawUse::Step() const {
  const int result = sqlite3_step(statement_);
  if (result == SQLITE_ROW) return true;
  if (result == SQLITE_DONE) return false;
  throw SQLite::Exception(sqlite3_db_handle(statement_), result);
}

void Connection::Finalize::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

Connection::RawUse Connection::PrepareRaw(const std::string& sql) {
  std::unique_ptr<sqlite3_stmt, Finalize>& kept = kept_raw_[sql];
  if (!kept) {
    sqlite3_stmt* statement = nullptr;
    const int result = sqlite3_prepare_v3(getHandle(), sql.data(), static_cast<int>(sql.size()),
                                          SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (result != SQLITE_OK) {
      kept_raw_.erase(sql);
      throw SQLite::Exception(getHandle(), result);
    }
    kept.reset(statement);
  }
  return RawUse(kept.get());
}

Transaction::Transaction(Connection& db, bool write) : db_(db) {
  db_.Run(write ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
  if (open_) db_.tryExec("ROLLBACK");
}

void Transaction::Commit() {
  db_.Run("COMMIT");
  open_ = false;
}

Result<std::unique_ptr<Connection>> OpenDatabase(const std::filesystem::path& file) {
  // No allocation statistics: they take a process-wide mutex on every
  // malloc inside SQLite (docs/benchmarks.md). Only possible before SQLite
  // initialises, so a second store in the process leaves it as it is.
  static const int no_memstatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)no_memstatus;
  if (auto s = CreatePrivate(file); !s) return std::unexpected(s.error());
  std::unique_ptr<Connection> db;
  // No sqlite3 handle for Guard's errno: SQLite itself reports ENOSPC as
  // SQLITE_FULL, and the handle may not exist yet when opening fails.
  auto configured = Guard("open " + file.string(), nullptr, [&]() -> Status {
    // No SQLite mutex: SqliteStore serializes every call on its own
    // mutex, and a lock per column read showed in listing 100,000 slots
    // (docs/benchmarks.md).
    db = std::make_unique<Connection>(file, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX);
    return Configure(*db, file);
  });
  if (!configured) return std::unexpected(configured.error());
  for (const char* suffix : {"-wal", "-shm"}) {
    if (auto s = Restrict(file.string() + suffix); !s) return std::unexpected(s.error());
  }
  return db;
}

}  // namespace keywarden::store
