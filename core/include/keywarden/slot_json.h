// The JSON shapes of DESIGN.md ("show --json", events), produced by the
// daemon and printed as they are by the CLI.
#pragma once

#include <cstdint>

#include "keywarden/protocol.h"
#include "keywarden/slot.h"
#include "keywarden/store.h"

namespace keywarden {

// When the slot's current key is due for rotation: the current version's
// verified (or created) time plus rotate_every; nullopt without a current one.
std::optional<int64_t> RotationDueAt(const Slot& slot);

Json SlotToJson(const Slot& slot, int64_t now);
// Appends SlotToJson(slot, now) to `out` as the text Json::dump gives,
// without building a Json tree: for lists of many slots.
void AppendSlotJson(std::string& out, const Slot& slot, int64_t now);
// The members of that object a table of slots shows (`slot.list` with
// `summary`): current_version, endpoint, models, provider, ref, state,
// usable. A tenth of the text, for `keywarden list` over many slots.
void AppendSlotSummaryJson(std::string& out, const Slot& slot);
// [{code, message}] and [{model, outcome, http_status, detail, checked_at}].
Json DiagnosesJson(const std::vector<Diagnosis>& diagnoses);
Json ChecksJson(const std::vector<Check>& checks);
Json EventToJson(const Event& event);

}  // namespace keywarden
