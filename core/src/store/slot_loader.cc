#include "store/slot_loader.h"

#include <SQLiteCpp/Statement.h>

#include <unordered_map>
#include <utility>

#include "store/rows.h"

namespace keywarden::store {
namespace {

struct VersionPlace {
  size_t slot;
  size_t version;
};

}  // namespace

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
  return where;
}

void BindSlotQuery(SQLite::Statement& statement, const SlotQuery& query) {
  if (query.id) statement.bind(":id", *query.id);
  if (query.env) statement.bind(":env", *query.env);
  if (query.name) statement.bind(":name", *query.name);
  if (query.owner_uid) statement.bind(":owner_uid", static_cast<int64_t>(*query.owner_uid));
}

Result<std::vector<Slot>> LoadSlots(SQLite::Database& db, const SlotQuery& query) {
  const std::string where = SlotWhere(query);
  std::vector<Slot> slots;
  std::unordered_map<int64_t, size_t> slot_at;  // slot id -> index in `slots`

  SQLite::Statement slot_rows(db, std::string("SELECT ") + kSlotColumns + " FROM slots s" + where +
                                      " ORDER BY s.env, s.name");
  BindSlotQuery(slot_rows, query);
  while (slot_rows.executeStep()) {
    auto slot = SlotFromRow(slot_rows);
    if (!slot) return std::unexpected(slot.error());
    slot_at.emplace(slot->id, slots.size());
    slots.push_back(std::move(*slot));
  }
  if (slots.empty()) return slots;

  std::unordered_map<int64_t, VersionPlace> version_at;  // version id -> place
  SQLite::Statement version_rows(db, std::string("SELECT ") + kVersionColumns +
                                         ", v.slot_id FROM versions v JOIN slots s ON s.id = "
                                         "v.slot_id" +
                                         where + " ORDER BY v.slot_id, v.number");
  BindSlotQuery(version_rows, query);
  while (version_rows.executeStep()) {
    auto version = VersionFromRow(version_rows);
    if (!version) return std::unexpected(version.error());
    auto slot = slot_at.find(version_rows.getColumn(kVersionColumnCount).getInt64());
    if (slot == slot_at.end()) continue;  // cannot happen: same WHERE, same transaction
    auto& versions = slots[slot->second].versions;
    version_at.emplace(version->id, VersionPlace{slot->second, versions.size()});
    versions.push_back(std::move(*version));
  }

  SQLite::Statement check_rows(db, std::string("SELECT ") + kCheckColumns +
                                       ", c.version_id FROM checks c JOIN versions v ON v.id = "
                                       "c.version_id JOIN slots s ON s.id = v.slot_id" +
                                       where + " ORDER BY c.version_id, c.model");
  BindSlotQuery(check_rows, query);
  while (check_rows.executeStep()) {
    auto check = CheckFromRow(check_rows);
    if (!check) return std::unexpected(check.error());
    auto place = version_at.find(check_rows.getColumn(kCheckColumnCount).getInt64());
    if (place == version_at.end()) continue;
    slots[place->second.slot].versions[place->second.version].checks.push_back(std::move(*check));
  }
  return slots;
}

}  // namespace keywarden::store
