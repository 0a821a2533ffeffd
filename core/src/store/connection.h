// Opening the SQLite database: file permissions, pragmas, integrity check
// and migrations, in the order that makes each of them hold.
#pragma once

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <memory>

#include "keywarden/status.h"

namespace keywarden::store {

// Opens (creating with mode 0600 if needed) the database at `file` and
// leaves it with journal_mode=WAL, synchronous=FULL, foreign_keys=ON,
// secure_delete=ON and a 5 s busy timeout, each read back. Then runs
// PRAGMA quick_check (kIntegrity unless "ok") and applies the pending
// migrations. The database file and its -wal and -shm files end with mode
// 0600 (an existing looser file is tightened). A file that is not a SQLite
// database is kIntegrity; a newer schema is kIo with a hint. Never throws.
Result<std::unique_ptr<SQLite::Database>> OpenDatabase(const std::filesystem::path& file);

}  // namespace keywarden::store
