// Reading slots with their versions, checks and diagnoses in bulk.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keywarden/slot.h"
#include "keywarden/status.h"
#include "store/connection.h"

namespace keywarden::store {

// Which slots to load: every field that is set must match.
struct SlotQuery {
  std::optional<int64_t> id;
  std::optional<std::string> env;
  std::optional<std::string> name;
  std::optional<uint32_t> owner_uid;
  // (env, name, owner_uid) greater than this; in `env` when that is set.
  std::optional<SlotKey> after;
  int limit = 0;  // ForEachSlot: at most this many slots; 0: all
};

// " WHERE ..." over table alias s for `query`, or "" when it matches all;
// BindSlotQuery binds its parameters.
std::string SlotWhere(const SlotQuery& query);
void BindSlotQuery(SQLite::Statement& statement, const SlotQuery& query);

// Calls `visit` with each matching slot in env, name, then owner order, each with
// its versions (oldest first), their checks (by model) and diagnoses, and
// holds one slot at a time: 100,000 slots are listed without keeping them.
// Runs three queries, stepped side by side in the same order, however many
// slots match; call it inside a transaction for a consistent view. Stops at
// the first error of a row or of `visit`. Throws SQLite::Exception (the
// caller guards).
Status ForEachSlot(Connection& db, const SlotQuery& query,
                   const std::function<Status(Slot&)>& visit);

// ForEachSlot into a vector.
Result<std::vector<Slot>> LoadSlots(Connection& db, const SlotQuery& query);

}  // namespace keywarden::store
