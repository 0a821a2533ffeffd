#include "store/migrations.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <string>

#include "common/embedded.h"
#include "keywarden/store.h"

namespace keywarden {

int LatestSchemaVersion() {
  const auto& migrations = embedded::Migrations();
  return migrations.empty() ? 0 : migrations.back().number;
}

namespace store {
namespace {

int UserVersion(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

// Rows of PRAGMA foreign_key_check, as "table rowid -> parent" lines.
std::string ForeignKeyViolations(SQLite::Database& db) {
  SQLite::Statement check(db, "PRAGMA foreign_key_check");
  std::string found;
  while (check.executeStep()) {
    if (!found.empty()) found += ", ";
    found += check.getColumn(0).getString() + " row " + check.getColumn(1).getString() + " -> " +
             check.getColumn(2).getString();
  }
  return found;
}

}  // namespace

Status Migrate(SQLite::Database& db) {
  const int latest = LatestSchemaVersion();
  const int applied = UserVersion(db);
  if (applied > latest) {
    return Fail(ErrorCode::kIo,
                "database schema version " + std::to_string(applied) +
                    " is newer than this keywarden understands (" + std::to_string(latest) + ")",
                "upgrade keywarden; the database was written by a newer release");
  }
  for (const auto& migration : embedded::Migrations()) {
    if (migration.number <= applied) continue;
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    // Another process may have migrated while we waited for the write lock.
    if (UserVersion(db) >= migration.number) continue;
    db.exec(std::string(migration.sql));
    if (std::string bad = ForeignKeyViolations(db); !bad.empty()) {
      return Fail(ErrorCode::kIntegrity, "migration " + std::string(migration.name) +
                                             " leaves foreign keys broken: " + bad);
    }
    // PRAGMA takes no bound parameters; the number is ours, not input.
    db.exec("PRAGMA user_version = " + std::to_string(migration.number));
    tx.commit();
  }
  return {};
}

}  // namespace store
}  // namespace keywarden
