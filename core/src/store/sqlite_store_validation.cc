// SqliteStore: validation results, promotion and the check schedule.
#include <SQLiteCpp/Statement.h>

#include "store/rows.h"
#include "store/sqlite_store.h"

namespace keywarden::store {
namespace {

struct VersionOwner {
  int64_t slot_id = 0;
  int number = 0;
  std::string state;
  std::optional<int> current;
  std::optional<int> pending;
};

std::optional<VersionOwner> FindOwner(Connection& db, int64_t version_id) {
  SQLite::Statement select(
      db,
      "SELECT v.slot_id, v.number, s.current_version, s.pending_version, v.state "
      "FROM versions v JOIN slots s ON s.id = v.slot_id WHERE v.id = :id");
  select.bind(":id", version_id);
  if (!select.executeStep()) return std::nullopt;
  VersionOwner owner;
  owner.slot_id = select.getColumn(0).getInt64();
  owner.number = select.getColumn(1).getInt();
  if (!select.isColumnNull(2)) owner.current = select.getColumn(2).getInt();
  if (!select.isColumnNull(3)) owner.pending = select.getColumn(3).getInt();
  owner.state = select.getColumn(4).getString();
  return owner;
}

void SaveChecks(Connection& db, int64_t version_id, const std::vector<Check>& checks) {
  SQLite::Statement clear(db, "DELETE FROM checks WHERE version_id = :id");
  clear.bind(":id", version_id);
  clear.exec();
  SQLite::Statement insert(db,
                           "INSERT OR REPLACE INTO checks (version_id, model, outcome, "
                           "http_status, detail, checked_at) VALUES (:id, :model, :outcome, "
                           ":status, :detail, :at)");
  for (const Check& c : checks) {
    insert.bind(":id", version_id);
    insert.bind(":model", c.model);
    insert.bind(":outcome", std::string(OutcomeName(c.outcome)));
    insert.bind(":status", c.http_status);
    insert.bind(":detail", c.detail);
    insert.bind(":at", c.checked_at);
    insert.exec();
    insert.reset();
  }
}

// Makes `owner.number` the slot's current version; the previous current
// one is retired and no longer checked.
void Promote(Connection& db, const VersionOwner& owner, int64_t now) {
  if (owner.current && *owner.current != owner.number) {
    SQLite::Statement retire(db,
                             "UPDATE versions SET state = 'retired', retired_at = :now, "
                             "next_check_at = NULL WHERE slot_id = :slot AND number = :number");
    retire.bind(":now", now);
    retire.bind(":slot", owner.slot_id);
    retire.bind(":number", *owner.current);
    retire.exec();
  }
  // The rotation clock restarts with the new current key: first reminder
  // at due - remind_before.
  SQLite::Statement point(
      db,
      "UPDATE slots SET current_version = :number, pending_version = NULL, "
      "next_reminder_at = :now + rotate_every - remind_before WHERE id = :slot");
  point.bind(":number", owner.number);
  point.bind(":now", now);
  point.bind(":slot", owner.slot_id);
  point.exec();
}

}  // namespace

Status SqliteStore::RecordValidation(const ValidationRecord& r) {
  return InTransaction(Access::kWrite, "record validation", [&](Connection& db) -> Status {
    std::optional<VersionOwner> owner = FindOwner(db, r.version_id);
    if (!owner) return Fail(ErrorCode::kNotFound, "the version was removed during validation");
    // Revoked or retired while the probes ran: the user's decision stands
    // and the result is dropped.
    if (owner->state == "revoked" || owner->state == "retired") return {};
    SQLite::Statement update(
        db,
        "UPDATE versions SET state = :state, diagnoses = :diagnoses, next_check_at = :next, "
        "check_leased = 0, "
        "check_attempts = :attempts, billed_probes = billed_probes + :billed, "
        "verified_at = COALESCE(:verified_at, verified_at) WHERE id = :id");
    update.bind(":state", std::string(VersionStateName(r.state)));
    update.bind(":diagnoses", DiagnosesToJson(r.diagnoses));
    BindOptional(update, ":next", r.next_check_at);
    update.bind(":attempts", r.check_attempts);
    update.bind(":billed", r.billed_probes);
    BindOptional(update, ":verified_at", r.verified_at);
    update.bind(":id", r.version_id);
    update.exec();
    if (r.replace_checks) SaveChecks(db, r.version_id, r.checks);
    bool is_pending = owner->pending == owner->number;
    // A verified version becomes current if it was the pending one, or if
    // the slot has none (a failed first version that verifies later).
    if (r.state == VersionState::kVerified && (is_pending || !owner->current)) {
      Promote(db, *owner, r.verified_at.value_or(0));
    } else if (r.state == VersionState::kFailed && is_pending) {
      SQLite::Statement clear(db, "UPDATE slots SET pending_version = NULL WHERE id = :slot");
      clear.bind(":slot", owner->slot_id);
      clear.exec();
    }
    for (const Event& e : r.events) InsertEvent(db, e);
    return {};
  });
}

Result<std::vector<DueCheck>> SqliteStore::DueChecks(int64_t now, int limit) {
  using R = Result<std::vector<DueCheck>>;
  return InTransaction(Access::kRead, "read due checks", [&](Connection& db) -> R {
    SQLite::Statement select(db,
                             "SELECT s.owner_uid, s.env, s.name, v.number, v.id, v.next_check_at "
                             "FROM versions v JOIN slots s ON s.id = v.slot_id "
                             "WHERE v.next_check_at IS NOT NULL AND v.next_check_at <= :now "
                             "ORDER BY v.next_check_at LIMIT :limit");
    select.bind(":now", now);
    select.bind(":limit", limit);
    std::vector<DueCheck> due;
    while (select.executeStep()) {
      due.push_back({SlotKey{static_cast<uint32_t>(select.getColumn(0).getInt64()),
                             {select.getColumn(1).getString(), select.getColumn(2).getString()}},
                     select.getColumn(3).getInt(), select.getColumn(4).getInt64(),
                     select.getColumn(5).getInt64()});
    }
    return due;
  });
}

Result<std::optional<int64_t>> SqliteStore::NextCheckAt() {
  return InTransaction(Access::kRead, "read next check", [&](Connection& db) {
    return MinOf(db, "SELECT MIN(next_check_at) FROM versions");
  });
}

Status SqliteStore::ScheduleCheck(int64_t version_id, std::optional<int64_t> at,
                                  bool reset_attempts) {
  return InTransaction(Access::kWrite, "schedule check", [&](Connection& db) -> Status {
    SQLite::Statement update(
        db,
        "UPDATE versions SET next_check_at = :at, check_leased = 0, check_attempts = CASE "
        "WHEN :reset THEN 0 ELSE check_attempts END WHERE id = :id");
    BindOptional(update, ":at", at);
    update.bind(":reset", reset_attempts ? 1 : 0);
    update.bind(":id", version_id);
    if (update.exec() == 0) return Fail(ErrorCode::kNotFound, "no such version");
    return {};
  });
}

Status SqliteStore::LeaseCheck(int64_t version_id, int64_t until) {
  return InTransaction(Access::kWrite, "lease check", [&](Connection& db) -> Status {
    SQLite::Statement update(
        db, "UPDATE versions SET next_check_at = :until, check_leased = 1 WHERE id = :id");
    update.bind(":until", until);
    update.bind(":id", version_id);
    if (update.exec() == 0) return Fail(ErrorCode::kNotFound, "no such version");
    return {};
  });
}

Result<int> SqliteStore::ReleaseLeases(int64_t now) {
  return InTransaction(Access::kWrite, "release leases", [&](Connection& db) -> Result<int> {
    // A lease on a version retired or revoked meanwhile (no next check)
    // just ends.
    SQLite::Statement update(
        db,
        "UPDATE versions SET check_leased = 0, next_check_at = CASE WHEN "
        "next_check_at IS NULL THEN NULL ELSE :now END WHERE check_leased = 1");
    update.bind(":now", now);
    return update.exec();
  });
}

}  // namespace keywarden::store
