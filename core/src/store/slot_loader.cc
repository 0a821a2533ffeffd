#include "store/slot_loader.h"

#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <utility>

#include "store/rows.h"

namespace keywarden::store {

std::string SlotWhere(const SlotQuery& query) {
  std::string where;
  auto add = [&where](const char* condition) {
    where += where.empty() ? " WHERE " : " AND ";
    where += condition;
  };
  if (query.id) add("s.id = :id");
  if (query.env) add("s.env = :env");
  if (query.name) add("s.name = :name");
  if (query.owner_uid) add("s.owner_uid = :owner_uid");
  // Within one env the name alone continues the walk: SQLite would not
  // combine `env = ?` with a row-value range, and rescan the env each time.
  // One owner's refs are unique; across owners the uid breaks the tie.
  if (query.after && query.owner_uid) {
    add(query.env ? "s.name > :after_name" : "(s.env, s.name) > (:after_env, :after_name)");
  } else if (query.after) {
    add(query.env ? "s.name >= :after_name AND (s.name > :after_name OR s.owner_uid > :after_owner)"
                  : "(s.env, s.name, s.owner_uid) > (:after_env, :after_name, :after_owner)");
  }
  return where;
}

namespace {

// Calls bind(name, value) for each parameter SlotWhere(query) names.
template <typename Bind>
void ForEachSlotParameter(const SlotQuery& query, Bind bind) {
  if (query.id) bind(":id", *query.id);
  if (query.env) bind(":env", *query.env);
  if (query.name) bind(":name", *query.name);
  if (query.owner_uid) bind(":owner_uid", static_cast<int64_t>(*query.owner_uid));
  if (query.after) {
    if (!query.env) bind(":after_env", query.after->ref.env);
    bind(":after_name", query.after->ref.name);
    if (!query.owner_uid) bind(":after_owner", static_cast<int64_t>(query.after->owner_uid));
  }
}

void BindRaw(sqlite3_stmt* statement, const char* name, int64_t value) {
  sqlite3_bind_int64(statement, sqlite3_bind_parameter_index(statement, name), value);
}

void BindRaw(sqlite3_stmt* statement, const char* name, const std::string& value) {
  sqlite3_bind_text(statement, sqlite3_bind_parameter_index(statement, name), value.data(),
                    static_cast<int>(value.size()), SQLITE_TRANSIENT);
}

void BindSlotQuery(const Connection::RawUse& statement, const SlotQuery& query) {
  ForEachSlotParameter(
      query, [&](const char* name, const auto& value) { BindRaw(statement.get(), name, value); });
}

}  // namespace

void BindSlotQuery(SQLite::Statement& statement, const SlotQuery& query) {
  ForEachSlotParameter(query,
                       [&](const char* name, const auto& value) { statement.bind(name, value); });
}

Status ForEachSlot(Connection& db, const SlotQuery& query,
                   const std::function<Status(Slot&)>& visit) {
  const std::string where = SlotWhere(query);
  // CROSS JOIN keeps SQLite's join order: slots by the (env, name, owner_uid) index,
  // then each slot's versions by (slot_id, number), then each version's
  // checks by (version_id, model), so every query yields rows in slot
  // order without a sort, and the three can be merged as they are read.
  // With a limit only the slots are limited: the other two cursors are
  // simply not stepped past the last slot.
  Connection::RawUse slot_rows = db.PrepareRaw(
      std::string("SELECT ") + kSlotColumns + " FROM slots s" + where +
      " ORDER BY s.env, s.name, s.owner_uid" + (query.limit > 0 ? " LIMIT :limit" : ""));
  Connection::RawUse version_rows =
      db.PrepareRaw(std::string("SELECT ") + kVersionColumns +
                    ", v.slot_id FROM slots s CROSS JOIN versions v ON v.slot_id = s.id" + where +
                    " ORDER BY s.env, s.name, s.owner_uid, v.number");
  Connection::RawUse check_rows =
      db.PrepareRaw(std::string("SELECT ") + kCheckColumns +
                    ", c.version_id, v.slot_id FROM slots s CROSS JOIN versions v ON v.slot_id = "
                    "s.id CROSS JOIN checks c ON c.version_id = v.id" +
                    where + " ORDER BY s.env, s.name, s.owner_uid, v.number, c.model");
  BindSlotQuery(slot_rows, query);
  if (query.limit > 0) BindRaw(slot_rows.get(), ":limit", int64_t{query.limit});
  BindSlotQuery(version_rows, query);
  BindSlotQuery(check_rows, query);
  const Row slot_row(slot_rows), version_row(version_rows), check_row(check_rows);
  bool more_versions = version_rows.Step();
  bool more_checks = check_rows.Step();
  // One slot object for the whole walk: its strings and vectors, and those
  // of its versions and checks, keep their memory from one slot to the next
  // (a fifth of the walk's allocations otherwise).
  Slot slot;
  std::vector<size_t> checks_of;  // per version, how many checks are filled
  while (slot_rows.Step()) {
    if (Status read = SlotFromRow(slot_row, slot); !read) return read;
    size_t versions = 0;
    for (; more_versions && version_row.Int64(kVersionColumnCount) == slot.id;
         more_versions = version_rows.Step()) {
      if (versions == slot.versions.size()) slot.versions.emplace_back();
      if (Status read = VersionFromRow(version_row, slot.versions[versions]); !read) return read;
      ++versions;
    }
    slot.versions.resize(versions);
    checks_of.assign(versions, 0);
    size_t at = 0;  // checks come in version order, like the versions
    for (; more_checks && check_row.Int64(kCheckColumnCount + 1) == slot.id;
         more_checks = check_rows.Step()) {
      const int64_t version_id = check_row.Int64(kCheckColumnCount);
      while (at < versions && slot.versions[at].id != version_id) ++at;
      if (at == versions) break;  // cannot happen: same WHERE, same transaction
      std::vector<Check>& checks = slot.versions[at].checks;
      if (checks_of[at] == checks.size()) checks.emplace_back();
      if (Status read = CheckFromRow(check_row, checks[checks_of[at]]); !read) return read;
      ++checks_of[at];
    }
    for (size_t v = 0; v < versions; ++v) slot.versions[v].checks.resize(checks_of[v]);
    if (Status s = visit(slot); !s) return s;
  }
  return {};
}

Result<std::vector<Slot>> LoadSlots(Connection& db, const SlotQuery& query) {
  std::vector<Slot> slots;
  Status loaded = ForEachSlot(db, query, [&slots](Slot& slot) -> Status {
    slots.push_back(std::move(slot));
    return {};
  });
  if (!loaded) return std::unexpected(loaded.error());
  return slots;
}

}  // namespace keywarden::store
