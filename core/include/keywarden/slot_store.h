// The store's role that keeps slots, their versions (sealed secrets and
// states) and the checks and diagnoses of each version. Each method is one
// transaction: it happens whole or not at all, and it has happened durably
// when it returns success.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keywarden/crypto.h"
#include "keywarden/slot.h"
#include "keywarden/status.h"
#include "keywarden/store_records.h"

namespace keywarden {

struct SlotFilter {
  std::optional<std::string> env;
  std::optional<uint32_t> owner_uid;  // nullopt: every owner
  // Only slots after this one in env, name, then owner order (a page's
  // cursor); with `env` set, it must be a slot of that env.
  std::optional<SlotKey> after;
  int limit = 0;  // at most this many slots; 0: no limit
};

struct NewVersion {
  std::string uuid;
  // Seals the secret for its row. The store calls it inside the insert's
  // transaction, once the slot id and version number are known, with the
  // row's binding; what it returns is stored as the envelope.
  std::function<Bytes(const RowBinding&)> seal;
  uint32_t data_key_version = 1;
  std::string mask;
  std::string fingerprint;
  std::vector<Diagnosis> diagnoses;  // format warnings found at add time
  int64_t created_at = 0;
  std::optional<int64_t> next_check_at;
};

struct StoreCounts {
  int slots = 0;
  std::map<std::string, int> versions_by_state;  // state name -> count
  std::optional<int64_t> next_check_at;          // earliest scheduled check
};

// The outcome of one run of the probe ladder over one version.
struct ValidationRecord {
  int64_t version_id = 0;
  VersionState state = VersionState::kPending;
  std::vector<Check> checks;  // replace the version's checks when replace_checks
  bool replace_checks = true;
  std::vector<Diagnosis> diagnoses;  // replace the version's diagnoses
  std::optional<int64_t> next_check_at;
  int check_attempts = 0;  // the new value (consecutive inconclusive or failed runs)
  int billed_probes = 0;   // added to the version's count
  std::optional<int64_t> verified_at;
  std::vector<Event> events;  // recorded in the same transaction
};

// What SlotStore::UpdateSlot changes of a slot; a member left empty keeps
// its value.
struct SlotChange {
  std::optional<std::vector<std::string>> models;
  std::optional<std::string> endpoint;
  std::optional<std::string> probe;
  std::optional<RotationPolicy> policy;
  // Versions (row ids) due for a check at `recheck_at`, their attempts
  // restarted: the settings they were checked with changed.
  std::vector<int64_t> recheck;
  int64_t recheck_at = 0;
  // Sets the slot's next reminder (the outer optional: whether to).
  std::optional<std::optional<int64_t>> next_reminder_at;
};

// Held for the length of a long walk over many slots (SlotStore::BeginLongWalk).
// Opaque: what it holds is the backend's. May be destroyed on any thread;
// must not outlive the store that made it. Not copyable.
class LongWalk {
 public:
  LongWalk() = default;
  LongWalk(const LongWalk&) = delete;
  LongWalk& operator=(const LongWalk&) = delete;
  virtual ~LongWalk() = default;
};

// Thread-safe. Not copyable.
//
// Every method that takes a SlotKey finds the slot of that owner and ref
// only: another owner's slot of the same ref is kNotFound. Errors carry no
// advice about CLI verbs: wording a next step for the user is the caller's.
class SlotStore {
 public:
  SlotStore() = default;
  SlotStore(const SlotStore&) = delete;
  SlotStore& operator=(const SlotStore&) = delete;
  virtual ~SlotStore() = default;

  // Creates `slot` with `first` as version 1, pending, and records `event`.
  // kAlreadyExists if its owner has a slot of that ref already (another
  // owner's slot of the same ref is no clash); kInvalidArgument for an
  // invalid ref or probe kind. Returns the slot as stored.
  virtual Result<Slot> AddSlot(const Slot& slot, const NewVersion& first, const Event& event) = 0;
  // The slot with all its versions, checks and diagnoses; kNotFound.
  virtual Result<Slot> GetSlot(const SlotKey& key) = 0;
  // Slots ordered by env, name, then owner uid, with versions.
  virtual Result<std::vector<Slot>> ListSlots(const SlotFilter& filter) = 0;
  // Calls `visit` with each slot ListSlots would return, in the same order,
  // holding one at a time (100,000 slots are listed without keeping them).
  // Stops at the first error, of a row or of `visit`, and returns it.
  // `visit` must not call the store.
  virtual Status ForEachSlot(const SlotFilter& filter,
                             const std::function<Status(const Slot&)>& visit) = 0;
  // Announces a walk over many slots, in one ForEachSlot call or in pages
  // (SlotFilter::after), until the returned LongWalk goes: the backend may
  // spend memory on reading each stored page once only. Changes no result
  // of any call. Walks may overlap: the backend's extra memory is kept until
  // the last LongWalk of those alive goes, never given back while another
  // walk still holds one. Never fails (a backend with nothing to prepare
  // returns an empty LongWalk).
  virtual std::unique_ptr<LongWalk> BeginLongWalk() = 0;
  // GetSlot, then in the same read transaction the envelope of the version
  // whose row id `pick` returns for that slot, with the binding of its row
  // as stored (kNotFound if that version does not exist or its secret was
  // destroyed). An error from `pick` is returned as it is, with nothing more
  // read. `pick` must not call the store.
  virtual Result<std::pair<Slot, SealedSecret>> GetSlotAndSealed(
      const SlotKey& key, const std::function<Result<int64_t>(const Slot&)>& pick) = 0;
  // Changes the slot's settings in place, keeping its versions, checks and
  // events, schedules the checks and the reminder `change` names, and
  // records `event`. kNotFound if the slot does not exist; kInvalidArgument
  // for an invalid probe kind. Returns the slot as stored.
  virtual Result<Slot> UpdateSlot(const SlotKey& key, const SlotChange& change,
                                  const Event& event) = 0;
  // A number that changes (grows) whenever a write through this store may
  // have changed a slot, a version, a check or a secret: a cache of what
  // the store holds (the gateway's keys) is current while it is unchanged.
  // Writes that only add events leave it. Cheap; any thread.
  virtual uint64_t Generation() const = 0;
  // Deletes the slot, its versions and checks, and records `event`.
  // kNotFound if the slot does not exist.
  virtual Status RemoveSlot(const SlotKey& key, const Event& event) = 0;

  // How many slots (of `owner_uid`'s, or of everyone's with nullopt) and
  // versions by state there are, and the earliest scheduled check.
  virtual Result<StoreCounts> Counts(std::optional<uint32_t> owner_uid) = 0;

  // Stores a validation run. When a slot's pending version becomes
  // verified it is promoted in the same transaction: it becomes current,
  // and the previous current version becomes retired (its checks stop).
  // A pending version that fails stops being the slot's pending one.
  // kNotFound if the version no longer exists (the slot was removed).
  virtual Status RecordValidation(const ValidationRecord& record) = 0;

  // Rotation. Adds the slot's next version as pending, due for a check at
  // once; the current version keeps being served meanwhile. kConflict if a
  // version is already pending. Returns the slot as stored.
  virtual Result<Slot> AddVersion(const SlotKey& key, const NewVersion& version,
                                  const Event& event) = 0;
  // Makes the newest retired version whose grace has not ended (and whose
  // secret still exists) the pending one again, due for a check now: it is
  // re-checked before it is served. Returns its number. kNotFound if the
  // slot does not exist or has no such version; kConflict if a version is
  // pending.
  virtual Result<int> BeginRollback(const SlotKey& key, int64_t now, const Event& event) = 0;
  // Revokes `version` (the current one when nullopt): never served again,
  // its secret destroyed at once. Returns the number revoked; kNotFound if
  // the slot or that version does not exist (or nullopt was given and the
  // slot has no current version), kConflict if it is already revoked.
  virtual Result<int> Revoke(const SlotKey& key, std::optional<int> version,
                             const Event& event) = 0;
};

}  // namespace keywarden
