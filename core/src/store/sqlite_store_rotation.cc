// SqliteStore: rotation, rollback, revocation, the end of grace, reminders.
#include <SQLiteCpp/Statement.h>

#include "store/rows.h"
#include "store/slot_loader.h"
#include "store/sqlite_store.h"

namespace keywarden::store {
namespace {

struct SlotHead {
  int64_t id = 0;
  std::optional<int> current;
  std::optional<int> pending;
  int64_t grace = 0;
  std::string provider;
};

Result<SlotHead> FindSlotHead(Connection& db, const SlotKey& key) {
  SQLite::Statement select(
      db,
      "SELECT id, current_version, pending_version, grace, provider FROM slots "
      "WHERE env = :env AND name = :name AND owner_uid = :owner");
  select.bind(":env", key.ref.env);
  select.bind(":name", key.ref.name);
  select.bind(":owner", static_cast<int64_t>(key.owner_uid));
  if (!select.executeStep()) return Fail(ErrorCode::kNotFound, "no slot " + key.ref.str());
  SlotHead head;
  head.id = select.getColumn(0).getInt64();
  if (!select.isColumnNull(1)) head.current = select.getColumn(1).getInt();
  if (!select.isColumnNull(2)) head.pending = select.getColumn(2).getInt();
  head.grace = select.getColumn(3).getInt64();
  head.provider = select.getColumn(4).getString();
  return head;
}

void PointPending(Connection& db, int64_t slot_id, int number) {
  SQLite::Statement point(db, "UPDATE slots SET pending_version = :n WHERE id = :id");
  point.bind(":n", number);
  point.bind(":id", slot_id);
  point.exec();
}

Error PendingConflict(const SlotRef& ref, int pending) {
  return Error{ErrorCode::kConflict, "version " + std::to_string(pending) + " of " + ref.str() +
                                         " is still pending validation"};
}

}  // namespace

Result<Slot> SqliteStore::AddVersion(const SlotKey& key, const NewVersion& version,
                                     const Event& event) {
  const SlotRef& ref = key.ref;
  return InTransaction(Access::kWrite, "rotate " + ref.str(), [&](Connection& db) -> Result<Slot> {
    Result<SlotHead> head = FindSlotHead(db, key);
    if (!head) return std::unexpected(head.error());
    if (head->pending) return std::unexpected(PendingConflict(ref, *head->pending));
    SQLite::Statement max(db, "SELECT COALESCE(MAX(number), 0) FROM versions WHERE slot_id = :id");
    max.bind(":id", head->id);
    max.executeStep();
    int number = max.getColumn(0).getInt() + 1;
    if (!version.seal) return Fail(ErrorCode::kInvalidArgument, "a new version needs a seal");
    InsertVersion(db, head->id, ref, head->provider, number, VersionState::kPending, version);
    PointPending(db, head->id, number);
    Event e = event;
    e.version = number;
    InsertEvent(db, e);
    auto slots = LoadSlots(db, {.id = head->id});
    if (!slots) return std::unexpected(slots.error());
    return std::move(slots->front());
  });
}

Result<int> SqliteStore::BeginRollback(const SlotKey& key, int64_t now, const Event& event) {
  const SlotRef& ref = key.ref;
  return InTransaction(
      Access::kWrite, "roll back " + ref.str(), [&](Connection& db) -> Result<int> {
        Result<SlotHead> head = FindSlotHead(db, key);
        if (!head) return std::unexpected(head.error());
        if (head->pending) return std::unexpected(PendingConflict(ref, *head->pending));
        SQLite::Statement select(
            db,
            "SELECT number FROM versions WHERE slot_id = :id AND state = "
            "'retired' AND envelope IS NOT NULL AND retired_at + :grace > :now "
            "ORDER BY number DESC LIMIT 1");
        select.bind(":id", head->id);
        select.bind(":grace", head->grace);
        select.bind(":now", now);
        if (!select.executeStep()) {
          return Fail(ErrorCode::kNotFound,
                      "no retired version of " + ref.str() + " is still in its grace period");
        }
        int number = select.getColumn(0).getInt();
        SQLite::Statement revive(db,
                                 "UPDATE versions SET state = 'pending', retired_at = NULL, "
                                 "next_check_at = :now, check_attempts = 0 WHERE slot_id = :id AND "
                                 "number = :n");
        revive.bind(":now", now);
        revive.bind(":id", head->id);
        revive.bind(":n", number);
        revive.exec();
        PointPending(db, head->id, number);
        Event e = event;
        e.version = number;
        InsertEvent(db, e);
        return number;
      });
}

Result<int> SqliteStore::Revoke(const SlotKey& key, std::optional<int> version,
                                const Event& event) {
  const SlotRef& ref = key.ref;
  Result<int> revoked =
      InTransaction(Access::kWrite, "revoke " + ref.str(), [&](Connection& db) -> Result<int> {
        Result<SlotHead> head = FindSlotHead(db, key);
        if (!head) return std::unexpected(head.error());
        std::optional<int> number = version ? version : head->current;
        if (!number) {
          return Fail(ErrorCode::kNotFound, ref.str() + " has no current version");
        }
        SQLite::Statement select(db,
                                 "SELECT state FROM versions WHERE slot_id = :id AND number = :n");
        select.bind(":id", head->id);
        select.bind(":n", *number);
        if (!select.executeStep()) {
          return Fail(ErrorCode::kNotFound,
                      ref.str() + " has no version " + std::to_string(*number));
        }
        if (select.getColumn(0).getString() == "revoked") {
          return Fail(ErrorCode::kConflict, "version " + std::to_string(*number) + " of " +
                                                ref.str() + " is already revoked");
        }
        SQLite::Statement revoke(db,
                                 "UPDATE versions SET state = 'revoked', envelope = NULL, "
                                 "next_check_at = NULL WHERE slot_id = :id AND number = :n");
        revoke.bind(":id", head->id);
        revoke.bind(":n", *number);
        revoke.exec();
        SQLite::Statement unpoint(
            db,
            "UPDATE slots SET current_version = CASE WHEN current_version = :n "
            "THEN NULL ELSE current_version END, pending_version = CASE WHEN "
            "pending_version = :n THEN NULL ELSE pending_version END, "
            "next_reminder_at = CASE WHEN current_version = :n THEN NULL ELSE "
            "next_reminder_at END WHERE id = :id");
        unpoint.bind(":n", *number);
        unpoint.bind(":id", head->id);
        unpoint.exec();
        Event e = event;
        e.version = number;
        InsertEvent(db, e);
        return *number;
      });
  if (revoked) Checkpoint();
  return revoked;
}

Result<int> SqliteStore::DestroyExpired(int64_t now, uint32_t uid) {
  Result<int> destroyed =
      InTransaction(Access::kWrite, "destroy expired secrets", [&](Connection& db) -> Result<int> {
        SQLite::Statement select(
            db,
            "SELECT v.id, v.number, v.fingerprint, s.env || '/' || s.name, "
            "s.owner_uid FROM versions v JOIN slots s ON s.id = v.slot_id WHERE "
            "v.state = 'retired' AND v.envelope IS NOT NULL AND v.retired_at + "
            "s.grace <= :now");
        select.bind(":now", now);
        std::vector<std::pair<int64_t, Event>> expired;
        while (select.executeStep()) {
          Event e;
          e.at = now;
          e.uid = uid;
          e.action = "destroy";
          e.version = select.getColumn(1).getInt();
          e.fingerprint = select.getColumn(2).getString();
          e.ref = select.getColumn(3).getString();
          e.owner_uid = static_cast<uint32_t>(select.getColumn(4).getInt64());
          e.detail = "grace period ended; secret destroyed";
          expired.emplace_back(select.getColumn(0).getInt64(), std::move(e));
        }
        SQLite::Statement wipe(db, "UPDATE versions SET envelope = NULL WHERE id = :id");
        for (auto& [id, e] : expired) {
          wipe.bind(":id", id);
          wipe.exec();
          wipe.reset();
          InsertEvent(db, e);
        }
        return static_cast<int>(expired.size());
      });
  if (destroyed && *destroyed > 0) Checkpoint();
  return destroyed;
}

Result<std::optional<int64_t>> SqliteStore::NextExpiry() {
  return InTransaction(Access::kRead, "read next expiry", [&](Connection& db) {
    return MinOf(db,
                 "SELECT MIN(v.retired_at + s.grace) FROM versions v JOIN slots s ON s.id = "
                 "v.slot_id WHERE v.state = 'retired' AND v.envelope IS NOT NULL");
  });
}

Result<std::vector<DueReminder>> SqliteStore::DueReminders(int64_t now, int limit) {
  using R = Result<std::vector<DueReminder>>;
  return InTransaction(Access::kRead, "read due reminders", [&](Connection& db) -> R {
    SQLite::Statement select(
        db,
        "SELECT s.id, s.env, s.name, s.owner_uid, s.current_version, v.fingerprint, "
        "COALESCE(v.verified_at, v.created_at) + s.rotate_every, s.next_reminder_at, "
        "s.rotate_every, s.remind_before, s.grace FROM slots s JOIN versions v ON v.slot_id = "
        "s.id AND v.number = s.current_version WHERE s.next_reminder_at IS NOT NULL AND "
        "s.next_reminder_at <= :now ORDER BY s.next_reminder_at LIMIT :limit");
    select.bind(":now", now);
    select.bind(":limit", limit);
    std::vector<DueReminder> due;
    while (select.executeStep()) {
      DueReminder r;
      r.slot_id = select.getColumn(0).getInt64();
      r.ref = {select.getColumn(1).getString(), select.getColumn(2).getString()};
      r.owner_uid = static_cast<uint32_t>(select.getColumn(3).getInt64());
      r.current_version = select.getColumn(4).getInt();
      r.fingerprint = select.getColumn(5).getString();
      r.rotation_due_at = select.getColumn(6).getInt64();
      r.reminder_at = select.getColumn(7).getInt64();
      r.policy = {select.getColumn(8).getInt64(), select.getColumn(9).getInt64(),
                  select.getColumn(10).getInt64()};
      due.push_back(std::move(r));
    }
    return due;
  });
}

Status SqliteStore::SetNextReminder(int64_t slot_id, std::optional<int64_t> at,
                                    const std::vector<Event>& events) {
  return InTransaction(Access::kWrite, "schedule reminder", [&](Connection& db) -> Status {
    SQLite::Statement update(db, "UPDATE slots SET next_reminder_at = :at WHERE id = :id");
    BindOptional(update, ":at", at);
    update.bind(":id", slot_id);
    update.exec();
    for (const Event& e : events) InsertEvent(db, e);
    return {};
  });
}

Result<std::optional<int64_t>> SqliteStore::NextReminderAt() {
  return InTransaction(Access::kRead, "read next reminder", [&](Connection& db) {
    return MinOf(db, "SELECT MIN(next_reminder_at) FROM slots");
  });
}

}  // namespace keywarden::store
