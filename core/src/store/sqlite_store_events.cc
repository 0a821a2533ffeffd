// SqliteStore: the audit trail and summary counts.
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "store/rows.h"
#include "store/slot_loader.h"
#include "store/sqlite_store.h"

namespace keywarden::store {

Status SqliteStore::AppendEvent(const Event& event) {
  return InTransaction(Access::kWrite, "append event " + event.action,
                       [&](Connection& db) -> Status {
                         InsertEvent(db, event);
                         return {};
                       });
}

Status SqliteStore::AppendEvents(const std::vector<Event>& events, Durability durability) {
  if (events.empty()) return {};
  const Access access = durability == Durability::kSynced ? Access::kWrite : Access::kWriteUnsynced;
  return InTransaction(
      access, "append events",
      [&](Connection& db) -> Status {
        for (const Event& event : events) InsertEvent(db, event);
        return {};
      },
      /*keeps_serve_cache=*/true);
}

Result<std::vector<Event>> SqliteStore::ListEvents(const EventFilter& filter) {
  using R = Result<std::vector<Event>>;
  return InTransaction(Access::kRead, "list events", [&](Connection& db) -> R {
    std::string sql =
        std::string("SELECT ") + kEventColumns + " FROM events e WHERE e.at >= :since";
    if (filter.ref) sql += " AND e.ref = :ref";
    // An owner sees the events of slots they own, and what they did
    // themselves outside any slot; never an event of another owner's slot,
    // even one they caused (as an admin they once were).
    if (filter.owner_uid) {
      sql += " AND (e.owner_uid = :owner OR (e.owner_uid IS NULL AND e.uid = :owner))";
    }
    // The newest `limit`; a limit <= 0 means no limit.
    sql += " ORDER BY e.at DESC, e.id DESC LIMIT :limit";
    SQLite::Statement select(db, sql);
    select.bind(":since", filter.since);
    if (filter.ref) select.bind(":ref", *filter.ref);
    if (filter.owner_uid) select.bind(":owner", static_cast<int64_t>(*filter.owner_uid));
    select.bind(":limit", filter.limit > 0 ? filter.limit : -1);
    std::vector<Event> events;
    while (select.executeStep()) events.push_back(EventFromRow(select));
    std::reverse(events.begin(), events.end());  // oldest first
    return events;
  });
}

namespace {

constexpr int64_t kDay = 86400;

// The start of the UTC day of `at`.
int64_t DayStart(int64_t at) { return at - ((at % kDay) + kDay) % kDay; }

// What one daily row of served secrets stands for.
using ServedDay = std::tuple<std::string /*action*/, std::string /*ref*/,
                             std::optional<int> /*version*/, std::string /*fingerprint*/,
                             uint32_t /*uid*/, std::optional<uint32_t> /*owner*/, int64_t /*day*/>;

int DeleteOldEvents(Connection& db, int64_t before, int limit) {
  Connection::Use remove = db.Prepare(
      "DELETE FROM events WHERE id IN "
      "(SELECT id FROM events WHERE at < :before ORDER BY at LIMIT :limit)");
  remove->bind(":before", before);
  remove->bind(":limit", limit);
  return remove->exec();
}

// Adds `count` to the daily row of `day`, creating it if there is none.
void AddToDailyRow(Connection& db, const ServedDay& day, int64_t count) {
  const auto& [action, ref, version, fingerprint, uid, owner, at] = day;
  // Found through events_ref (ref, at): a day has few such rows.
  Connection::Use find = db.Prepare(
      "SELECT id FROM events WHERE ref = :ref AND at = :at AND count IS NOT NULL "
      "AND action = :action AND uid = :uid AND version IS :version "
      "AND fingerprint = :fingerprint AND owner_uid IS :owner LIMIT 1");
  find->bind(":ref", ref);
  find->bind(":at", at);
  find->bind(":action", action);
  find->bind(":uid", static_cast<int64_t>(uid));
  BindOptional(*find, ":version", version);
  find->bind(":fingerprint", fingerprint);
  BindOptional(*find, ":owner", owner);
  if (find->executeStep()) {
    Connection::Use add = db.Prepare("UPDATE events SET count = count + :count WHERE id = :id");
    add->bind(":count", count);
    add->bind(":id", find->getColumn(0).getInt64());
    add->exec();
    return;
  }
  InsertEvent(db, Event{.at = at,
                        .uid = uid,
                        .owner_uid = owner,
                        .action = action,
                        .ref = ref,
                        .version = version,
                        .fingerprint = fingerprint,
                        .count = count});
}

// Folds up to `limit` single served-secret events of days before `before`
// (a day's start) into daily rows; returns how many it folded.
int AggregateServed(Connection& db, int64_t before, int limit) {
  // Through events_served, oldest first. A day cut by the limit is
  // finished by the next call, into the same rows.
  static const std::string kOldestServed =
      "FROM events WHERE count IS NULL AND action IN ('get', 'export', 'exec') "
      "AND at < :before ORDER BY at, id LIMIT :limit";
  Connection::Use select =
      db.Prepare("SELECT at, uid, owner_uid, action, ref, version, fingerprint " + kOldestServed);
  select->bind(":before", before);
  select->bind(":limit", limit);
  std::map<ServedDay, int64_t> days;
  while (select->executeStep()) {
    const SQLite::Statement& row = *select;
    const int64_t at = row.getColumn(0).getInt64();
    std::optional<uint32_t> owner;
    if (!row.isColumnNull(2)) owner = static_cast<uint32_t>(row.getColumn(2).getInt64());
    std::optional<int> version;
    if (!row.isColumnNull(5)) version = row.getColumn(5).getInt();
    ++days[{row.getColumn(3).getString(), row.getColumn(4).getString(), version,
            row.getColumn(6).getString(), static_cast<uint32_t>(row.getColumn(1).getInt64()), owner,
            DayStart(at)}];
  }
  // The same rows: the same query in the same transaction.
  Connection::Use remove =
      db.Prepare("DELETE FROM events WHERE id IN (SELECT id " + kOldestServed + ")");
  remove->bind(":before", before);
  remove->bind(":limit", limit);
  const int removed = remove->exec();
  for (const auto& [day, count] : days) AddToDailyRow(db, day, count);
  return removed;
}

}  // namespace

Result<TrimmedEvents> SqliteStore::TrimEvents(std::optional<int64_t> delete_before,
                                              std::optional<int64_t> aggregate_before, int limit) {
  using R = Result<TrimmedEvents>;
  if (limit < 1) return Fail(ErrorCode::kInvalidArgument, "trim events: limit must be positive");
  return InTransaction(Access::kWrite, "trim events", [&](Connection& db) -> R {
    TrimmedEvents trimmed;
    if (delete_before) trimmed.deleted = DeleteOldEvents(db, *delete_before, limit);
    if (aggregate_before) {
      trimmed.aggregated = AggregateServed(db, DayStart(*aggregate_before), limit);
    }
    trimmed.more = trimmed.deleted == limit || trimmed.aggregated == limit;
    return trimmed;
  });
}

Result<StoreCounts> SqliteStore::Counts(std::optional<uint32_t> owner_uid) {
  return InTransaction(Access::kRead, "count slots", [&](Connection& db) -> Result<StoreCounts> {
    const SlotQuery query{.owner_uid = owner_uid};
    const std::string where = SlotWhere(query);
    StoreCounts counts;

    SQLite::Statement slots(db, "SELECT COUNT(*) FROM slots s" + where);
    BindSlotQuery(slots, query);
    slots.executeStep();
    counts.slots = slots.getColumn(0).getInt();

    const std::string versions_of_slots =
        " FROM versions v JOIN slots s ON s.id = v.slot_id" + where;
    SQLite::Statement states(db,
                             "SELECT v.state, COUNT(*)" + versions_of_slots + " GROUP BY v.state");
    BindSlotQuery(states, query);
    while (states.executeStep()) {
      counts.versions_by_state[states.getColumn(0).getString()] = states.getColumn(1).getInt();
    }

    SQLite::Statement next(db, "SELECT MIN(v.next_check_at)" + versions_of_slots);
    BindSlotQuery(next, query);
    if (next.executeStep() && !next.isColumnNull(0)) {
      counts.next_check_at = next.getColumn(0).getInt64();
    }
    return counts;
  });
}

}  // namespace keywarden::store
