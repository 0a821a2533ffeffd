// Storage, in six roles: KeyStore (the wrapped data key, KDF parameters),
// SlotStore (slots, versions, checks), EventLog (the audit log, serving
// secrets), ScheduleStore (due checks, reminders, expiry), CopyStore (copies
// of exported keys) and TokenStore (the gateway's tokens). The roles name no
// backend: the SQLite store is the one implementation today; a PostgreSQL
// one can follow without touching callers. A component takes the roles it
// uses; Store is all of them at once, for the request handler, which uses
// every role.
#pragma once

#include <filesystem>
#include <memory>

#include "keywarden/copy_store.h"
#include "keywarden/event_log.h"
#include "keywarden/key_store.h"
#include "keywarden/schedule_store.h"
#include "keywarden/slot_store.h"
#include "keywarden/status.h"
#include "keywarden/token_store.h"

namespace keywarden {

// Every role over one database: a method of one role sees what a method of
// another committed before it. Thread-safe. Not copyable.
class Store : public KeyStore,
              public SlotStore,
              public EventLog,
              public ScheduleStore,
              public CopyStore,
              public TokenStore {
 public:
  ~Store() override = default;
};

// Opens (creating if needed) the SQLite database at `file`, sets WAL,
// synchronous=FULL, foreign_keys=ON, secure_delete=ON, runs quick_check and
// applies the embedded migrations in schema/ that are not applied yet.
// A database from a newer keywarden is refused with kIo and a hint.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& file);

// True for the store's error of a write that found the disk full (kIo,
// message "disk full: ..."): nothing was written, and the same write may
// succeed once space is freed.
bool IsDiskFull(const Error& error);

// The number of the newest migration embedded in this binary.
int LatestSchemaVersion();

}  // namespace keywarden
