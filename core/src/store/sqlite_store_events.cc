// SqliteStore: the audit trail and summary counts.
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <string>

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

Result<StoreCounts> SqliteStore::Counts(std::optional<uint32_t> owner_uid) {
  return InTransaction(
      Access::kRead, "count slots", [&](Connection& db) -> Result<StoreCounts> {
        const SlotQuery query{.owner_uid = owner_uid};
        const std::string where = SlotWhere(query);
        StoreCounts counts;

        SQLite::Statement slots(db, "SELECT COUNT(*) FROM slots s" + where);
        BindSlotQuery(slots, query);
        slots.executeStep();
        counts.slots = slots.getColumn(0).getInt();

        const std::string versions_of_slots =
            " FROM versions v JOIN slots s ON s.id = v.slot_id" + where;
        SQLite::Statement states(
            db, "SELECT v.state, COUNT(*)" + versions_of_slots + " GROUP BY v.state");
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
