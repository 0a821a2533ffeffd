// Reading slots with their versions, checks and diagnoses in bulk.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keywarden/slot.h"
#include "keywarden/status.h"

namespace keywarden::store {

// Which slots to load: every field that is set must match.
struct SlotQuery {
  std::optional<int64_t> id;
  std::optional<std::string> env;
  std::optional<std::string> name;
  std::optional<uint32_t> owner_uid;
};

// " WHERE ..." over table alias s for `query`, or "" when it matches all;
// BindSlotQuery binds its parameters.
std::string SlotWhere(const SlotQuery& query);
void BindSlotQuery(SQLite::Statement& statement, const SlotQuery& query);

// The matching slots ordered by env then name, each with its versions
// (oldest first), their checks (by model) and diagnoses. Runs three queries
// however many slots match, so call it inside a transaction for a
// consistent view. Throws SQLite::Exception (the caller guards).
Result<std::vector<Slot>> LoadSlots(SQLite::Database& db, const SlotQuery& query);

}  // namespace keywarden::store
