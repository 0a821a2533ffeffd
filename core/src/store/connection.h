// Opening the SQLite database: file permissions, pragmas, integrity check
// and migrations, in the order that makes each of them hold.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>

#include "keywarden/status.h"

namespace keywarden::store {

// The store's one connection: a SQLite::Database that keeps each statement
// it prepares for its whole life. Parsing SQL afresh was half of the CPU of
// a `get` (docs/benchmarks.md); a kept statement is only reset and rebound.
// Not thread-safe (SqliteStore serializes calls on it).
class Connection : public SQLite::Database {
 public:
  // A kept statement in use: reset when the handle goes away, so that it
  // holds no read snapshot after the call that used it. Bindings are
  // cleared before each use. One handle per SQL text at a time.
  class Use {
   public:
    explicit Use(SQLite::Statement& statement) : statement_(statement) {}
    ~Use() { statement_.tryReset(); }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    SQLite::Statement& operator*() const { return statement_; }
    SQLite::Statement* operator->() const { return &statement_; }

   private:
    SQLite::Statement& statement_;
  };

  // A kept statement read through SQLite's C API (store::Row in rows.h),
  // for the walk over every slot: a SQLite::Column per value, each copying a
  // shared_ptr, was a tenth of a 100,000-slot list's CPU. Reset, with its
  // bindings cleared, when the handle goes away. One handle per SQL text.
  class RawUse {
   public:
    explicit RawUse(sqlite3_stmt* statement) : statement_(statement) {}
    ~RawUse();
    RawUse(const RawUse&) = delete;
    RawUse& operator=(const RawUse&) = delete;
    sqlite3_stmt* get() const { return statement_; }
    // The next row: true if there is one. Throws SQLite::Exception.
    bool Step() const;

   private:
    sqlite3_stmt* statement_;
  };

  using SQLite::Database::Database;

  // `sql` prepared on first use, then kept. Throws SQLite::Exception.
  Use Prepare(const std::string& sql);
  RawUse PrepareRaw(const std::string& sql);
  // Executes a statement that returns no rows (BEGIN, COMMIT, PRAGMA x = y)
  // through a kept statement. Throws SQLite::Exception.
  void Run(const std::string& sql);
  // Run, with false for a failure instead of an exception (for destructors).
  bool TryRun(const std::string& sql) noexcept;

 private:
  // A member, so destroyed (each statement finalized) before the base
  // class closes the database.
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> kept_;
  struct Finalize {
    void operator()(sqlite3_stmt* statement) const;
  };
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, Finalize>> kept_raw_;
};

// BEGIN (BEGIN IMMEDIATE for a write, so that it never fails half-way on
// a lock upgrade) through kept statements; ROLLBACK when it goes away
// without Commit().
class Transaction {
 public:
  Transaction(Connection& db, bool write);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  Connection& db_;
  bool open_ = true;
};

// Opens (creating with mode 0600 if needed) the database at `file` and
// leaves it with journal_mode=WAL, synchronous=FULL, foreign_keys=ON,
// secure_delete=ON and a 5 s busy timeout, each read back. Then runs
// PRAGMA quick_check (kIntegrity unless "ok") and applies the pending
// migrations. The database file and its -wal and -shm files end with mode
// 0600 (an existing looser file is tightened). A file that is not a SQLite
// database is kIntegrity; a newer schema is kIo with a hint. Never throws.
Result<std::unique_ptr<Connection>> OpenDatabase(const std::filesystem::path& file);

}  // namespace keywarden::store
