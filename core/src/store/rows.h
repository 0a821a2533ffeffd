// Mapping between table rows and the model types of keywarden/slot.h and
// keywarden/store.h. Each k*Columns list is the SELECT list its *FromRow
// reads, in order, starting at column `first`; keep the two together.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keywarden/slot.h"
#include "keywarden/status.h"
#include "keywarden/store.h"
#include "store/connection.h"

namespace keywarden::store {

// The current row of a statement stepped through Connection::RawUse,
// read with SQLite's C API.
class Row {
 public:
  explicit Row(const Connection::RawUse& statement) : statement_(statement.get()) {}
  int64_t Int64(int column) const;
  // The text, valid until the statement steps again.
  std::string_view Text(int column) const;
  std::optional<int64_t> OptionalInt64(int column) const;
  bool IsNull(int column) const;
  // The bytes of a blob (none for NULL), valid until the statement steps again.
  std::span<const uint8_t> Blob(int column) const;

 private:
  sqlite3_stmt* statement_;
};

// Table alias s (slots).
inline constexpr char kSlotColumns[] =
    "s.id, s.env, s.name, s.provider, s.endpoint, s.models, s.probe, s.rotate_every, "
    "s.remind_before, s.grace, s.owner_uid, s.current_version, s.pending_version, s.created_at";
inline constexpr int kSlotColumnCount = 14;
// Fails with kIntegrity if the models column is not a JSON array of strings.
Result<Slot> SlotFromRow(const Row& row, int first = 0);
// The same into `slot`, whose strings and vectors keep their memory (a
// walk reuses one object); every member but `versions` is assigned.
Status SlotFromRow(const Row& row, Slot& slot, int first = 0);

// Table alias v (versions). Leaves `checks` empty.
inline constexpr char kVersionColumns[] =
    "v.id, v.number, v.uuid, v.state, v.data_key_version, v.mask, v.fingerprint, v.created_at, "
    "v.verified_at, v.retired_at, v.next_check_at, v.check_attempts, v.billed_probes, "
    "v.diagnoses";
inline constexpr int kVersionColumnCount = 14;
// Fails with kIntegrity on an unknown state or malformed diagnoses JSON.
Result<Version> VersionFromRow(const Row& row, int first = 0);
// The same into `version`, as SlotFromRow into a slot; `checks` is left as
// it was, for the caller to fill.
Status VersionFromRow(const Row& row, Version& version, int first = 0);

// Table alias c (checks).
inline constexpr char kCheckColumns[] = "c.model, c.outcome, c.http_status, c.detail, c.checked_at";
inline constexpr int kCheckColumnCount = 5;
// Fails with kIntegrity on an unknown outcome.
Result<Check> CheckFromRow(const Row& row, int first = 0);
Status CheckFromRow(const Row& row, Check& check, int first = 0);

// Table alias e (events).
inline constexpr char kEventColumns[] =
    "e.id, e.at, e.uid, e.owner_uid, e.action, e.ref, e.version, e.fingerprint, e.detail, "
    "e.count";
inline constexpr int kEventColumnCount = 10;
Event EventFromRow(const SQLite::Statement& row, int first = 0);

// JSON column encodings (schema/001_init.sql): models is an array of
// strings, diagnoses an array of {"code", "message"} objects. Invalid UTF-8
// is replaced, so encoding never throws.
std::string ModelsToJson(const std::vector<std::string>& models);
std::string DiagnosesToJson(const std::vector<Diagnosis>& diagnoses);

// Binds `value` or NULL (optional<int> and optional<uint32_t> convert).
void BindOptional(SQLite::Statement& statement, const char* name,
                  const std::optional<int64_t>& value);

// Inserts `event` (its id is ignored) and returns the new row id.
int64_t InsertEvent(Connection& db, const Event& event);

// Inserts version `number` of slot `slot_id` (`ref`, of `provider`) in
// `state`, its envelope sealed by version.seal for that row.
void InsertVersion(Connection& db, int64_t slot_id, const SlotRef& ref, const std::string& provider,
                   int number, VersionState state, const NewVersion& version);

// Runs a single-value query such as "SELECT MIN(x) FROM t"; nullopt for NULL.
Result<std::optional<int64_t>> MinOf(Connection& db, const char* sql);

}  // namespace keywarden::store
