// Schema migrations: the numbered files in schema/, embedded at build time.
// The applied version is the database's PRAGMA user_version.
#pragma once

#include <SQLiteCpp/Database.h>

#include "keywarden/status.h"

namespace keywarden::store {

// Applies every embedded migration newer than the database's user_version,
// each in its own transaction together with the new user_version, and runs
// PRAGMA foreign_key_check before each commit. Call with foreign_keys OFF
// (a migration may rebuild a table, see docs/schema.md). A database whose
// user_version is newer than LatestSchemaVersion() is refused with kIo and a
// hint; nothing is changed then. Throws SQLite::Exception on SQL failure
// (the caller guards).
Status Migrate(SQLite::Database& db);

}  // namespace keywarden::store
