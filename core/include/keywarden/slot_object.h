// The slot object of docs/protocol.md ("The slot object"): what slot.add,
// slot.show, slot.list, slot.validate, rotate, rollback and revoke reply
// with, as typed values. The daemon makes one from its Slot (SlotObjectOf)
// and encodes it; the client decodes it, each member checked and a bad one
// named by its path ("result.slot.versions[0].state: expected a version
// state"), so a printer never meets a member of the wrong type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keywarden/protocol.h"
#include "keywarden/slot.h"
#include "keywarden/status.h"

namespace keywarden {

// One version of the slot object. Times are unix seconds (RFC 3339 UTC
// strings on the wire).
struct VersionObject {
  int version = 0;
  VersionState state = VersionState::kPending;
  std::string fingerprint;  // the masked key, e.g. "sk-or-v1-…cdef"
  int64_t created_at = 0;
  std::optional<int64_t> verified_at;
  std::optional<int64_t> next_check_at;
  int billed_probes = 0;
  std::vector<Check> checks;
  std::vector<Diagnosis> diagnoses;
};

struct SlotObject {
  // The summary members (slot.list with `summary` sends only these).
  std::string ref;
  std::string provider;
  std::string endpoint;
  std::vector<std::string> models;
  std::optional<VersionState> state;  // the newest version's; none without versions
  bool usable = false;
  std::optional<int> current_version;
  uint32_t owner_uid = 0;

  // True when only the summary members came; the rest are then defaults.
  bool summary = false;
  std::string env;
  std::string name;
  std::string probe;
  std::optional<int> pending_version;
  RotationPolicy rotation;
  std::optional<int64_t> rotation_due_at;
  bool reminder_due = false;
  int64_t created_at = 0;
  std::vector<VersionObject> versions;  // oldest first
  std::vector<Diagnosis> diagnoses;     // the newest version's

  // The version numbered `number`, the newest when 0; nullptr if none.
  const VersionObject* FindVersion(int number) const;
};

// The slot object of `slot` at `now` (which decides reminder_due).
SlotObject SlotObjectOf(const Slot& slot, int64_t now);

// The wire form: the object AppendSlotJson writes (AppendSlotSummaryJson's
// for a summary).
Json Encode(const SlotObject& slot);
// Decodes `value`, named `path` in errors; an object without `versions` is
// read as a summary.
Status Decode(const Json& value, const std::string& path, SlotObject* out);
// An array of slot objects.
Status Decode(const Json& value, const std::string& path, std::vector<SlotObject>* out);

}  // namespace keywarden
