// Storage behind one interface (DESIGN.md "Beyond one machine"): the SQLite
// store is the one implementation today; a PostgreSQL one can follow without
// touching callers. Each method is one transaction: it happens whole or not
// at all, and it has happened durably when it returns success.
#pragma once

#include <cstdint>
#include <filesystem>
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

namespace keywarden {

// An audit record. Never holds a secret: `fingerprint` is keyed.
struct Event {
  int64_t id = 0;
  int64_t at = 0;                     // unix seconds
  uint32_t uid = 0;                   // who acted
  std::optional<uint32_t> owner_uid;  // the slot's owner, for per-user views
  std::string action;                 // add, get, rm, denied_connection, ...
  std::string ref;                    // "env/name" or ""
  std::optional<int> version;
  std::string fingerprint;
  std::string detail;
  // Set on a day's served secrets folded into one row (Store::TrimEvents):
  // how many there were; `at` is then the start of that UTC day.
  std::optional<int64_t> count;
};

struct EventFilter {
  std::optional<std::string> ref;
  int64_t since = 0;  // at >= since
  // Only events of slots this uid owns, and those it caused that belong to
  // no slot (owner_uid null).
  std::optional<uint32_t> owner_uid;
  int limit = 1000;  // newest `limit`, returned oldest first
};

struct SlotFilter {
  std::optional<std::string> env;
  std::optional<uint32_t> owner_uid;  // nullopt: every owner
  // Only slots after this one in env, name, then owner order (a page's
  // cursor); with `env` set, it must be a slot of that env.
  std::optional<SlotKey> after;
  int limit = 0;  // at most this many slots; 0: no limit
};

// A secret as stored: the envelope plus what it is bound to, and the keyed
// fingerprint its row records (what opens must match it).
struct SealedSecret {
  Bytes envelope;
  RowBinding binding;
  std::string fingerprint;
};

// What Store::UpgradeSecrets did.
struct SecretUpgrade {
  bool ran = false;    // false: every secret was format 2 already
  int rewrapped = 0;   // format-1 secrets now format 2
  int unreadable = 0;  // format-1 secrets that did not open, left as they were
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

// A version whose next check is due.
struct DueCheck {
  SlotKey slot;
  int version = 0;
  int64_t version_id = 0;
  int64_t due_at = 0;
};

// A slot whose rotation reminder is due.
struct DueReminder {
  int64_t slot_id = 0;
  SlotRef ref;
  uint32_t owner_uid = 0;
  int current_version = 0;
  std::string fingerprint;  // of the current version
  int64_t rotation_due_at = 0;
  int64_t reminder_at = 0;  // when this reminder was due
  RotationPolicy policy;
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

// What one Store::TrimEvents call did.
struct TrimmedEvents {
  int deleted = 0;     // events removed for their age
  int aggregated = 0;  // single served-secret events folded into daily rows
  bool more = false;   // a limit was reached: call again for the rest
};

// How a commit reaches the disk; see Store::ServeBatch.
enum class Durability { kSynced, kUnsynced };

// One secret to hand out (get, export, exec), for Store::ServeBatch.
struct ServeRequest {
  SlotKey slot;
  // Called inside the batch's write transaction with the slot and the
  // sealed secret of its current version: null when the slot has no current
  // version or that version's secret was destroyed. The slot holds only its
  // current version, with that version's checks, when it has one (enough
  // for Slot::Usable and UnusableReason), and every version when it has
  // none. Returns the audit event to record before the secret leaves
  // (security.md D4), or this request's error. Must not call the store.
  std::function<Result<Event>(const Slot& slot, const SealedSecret* sealed)> serve;
};

class Store {
 public:
  virtual ~Store() = default;

  // The wrapped data key of `version`, or nullopt if none was stored yet.
  virtual Result<std::optional<Bytes>> GetWrappedDataKey(uint32_t version) = 0;
  // Stores the wrapped data key; kAlreadyExists if that version exists.
  virtual Status PutWrappedDataKey(uint32_t version, const Bytes& wrapped) = 0;
  // The one-time upgrade of stored secrets to envelope format 2
  // (docs/storage-format.md "Upgrade to format 2"). Until it has run (meta
  // secrets.format is below 2), calls `rewrap` with every stored secret
  // whose envelope is format 1, stores the envelope it returns (nullopt: it
  // did not open; the row is left as it is) and records format 2, all in
  // one write transaction. Once it has run it does nothing: a format-1
  // envelope written into a row later is never rewrapped. `rewrap` must
  // not call the store.
  virtual Result<SecretUpgrade> UpgradeSecrets(
      const std::function<std::optional<Bytes>(const SealedSecret&)>& rewrap) = 0;

  // Creates `slot` with `first` as version 1, pending, and records `event`.
  // kAlreadyExists if its owner has a slot of that ref already (another
  // owner's slot of the same ref is no clash). Returns the slot as stored.
  //
  // Every method below that takes a SlotKey finds the slot of that owner
  // and ref only: another owner's slot of the same ref is kNotFound.
  virtual Result<Slot> AddSlot(const Slot& slot, const NewVersion& first, const Event& event) = 0;
  // The slot with all its versions, checks and diagnoses; kNotFound.
  virtual Result<Slot> GetSlot(const SlotKey& key) = 0;
  // Slots ordered by env, name, then owner uid, with versions.
  virtual Result<std::vector<Slot>> ListSlots(const SlotFilter& filter) = 0;
  // Calls `visit` with each slot ListSlots would return, in the same order,
  // holding one at a time (100,000 slots are listed without keeping them).
  // Stops at the first error, of a row or of `visit`, and returns it.
  // `visit` must not call the store.
  //
  // A walk over many slots, in one call or in pages (SlotFilter::after),
  // reads each database page once only with a large page cache: hold one
  // (up to 128 MiB, filled as pages are read, and the file mapped into
  // memory) from WidenCache() until NarrowCache(), which gives both back.
  virtual Status ForEachSlot(const SlotFilter& filter,
                             const std::function<Status(const Slot&)>& visit) = 0;
  virtual void WidenCache() = 0;
  virtual void NarrowCache() = 0;
  // GetSlot, then in the same read transaction the envelope of the version
  // whose row id `pick` returns for that slot, with the binding of its row
  // as stored (kNotFound if that version does not exist or its secret was
  // destroyed). An error from `pick` is returned as it is, with nothing more
  // read. `pick` must not call the store.
  virtual Result<std::pair<Slot, SealedSecret>> GetSlotAndSealed(
      const SlotKey& key, const std::function<Result<int64_t>(const Slot&)>& pick) = 0;
  // Deletes the slot, its versions and checks, and records `event`.
  // kNotFound if the slot does not exist.
  virtual Status RemoveSlot(const SlotKey& key, const Event& event) = 0;

  virtual Status AppendEvent(const Event& event) = 0;
  // Serves a batch of secrets (get, export, exec) in one write transaction:
  // reads each request's slot and the sealed secret of its current version,
  // calls its `serve`, and records the event it returns. The read and the
  // event share the transaction, so a rm, revoke or destruction either
  // committed before (and `serve` sees it) or waits until after. Returns
  // each request's outcome, in order: ok (its event is recorded), kNotFound
  // for a slot that does not exist, or the error of its row or of `serve`
  // (nothing recorded for it); an error for the whole means that no event
  // was recorded.
  //
  // kSynced commits like every other write (fsync: survives a power loss).
  // kUnsynced commits without the fsync: the events are in the log before
  // this returns and survive the daemon being killed, but a power loss or
  // kernel crash before the next SyncLog() or synced commit can lose them.
  virtual Result<std::vector<Status>> ServeBatch(const std::vector<ServeRequest>& batch,
                                                 Durability durability) = 0;
  // Makes every committed transaction durable against a power loss (a
  // passive checkpoint: the log is fsynced, then copied into the database).
  virtual Status SyncLog() = 0;
  virtual Result<std::vector<Event>> ListEvents(const EventFilter& filter) = 0;
  // Event retention, one transaction (config `events`, docs/schema.md):
  // deletes at most `limit` of the oldest events with at < delete_before,
  // then folds at most `limit` of the oldest single get, export and exec
  // events of whole UTC days before `aggregate_before` (rounded down to a
  // day's start) into one row per (action, slot, version, fingerprint, uid,
  // owner, day) with their count, added to such a row if one exists.
  // nullopt skips that part. Freed pages are reused by later writes; the
  // file does not shrink.
  virtual Result<TrimmedEvents> TrimEvents(std::optional<int64_t> delete_before,
                                           std::optional<int64_t> aggregate_before, int limit) = 0;

  virtual Result<StoreCounts> Counts(std::optional<uint32_t> owner_uid) = 0;

  // Stores a validation run. When a slot's pending version becomes
  // verified it is promoted in the same transaction: it becomes current,
  // and the previous current version becomes retired (its checks stop).
  // A pending version that fails stops being the slot's pending one.
  // kNotFound if the version no longer exists (the slot was removed).
  virtual Status RecordValidation(const ValidationRecord& record) = 0;
  // Versions with next_check_at <= now, earliest first, at most `limit`.
  virtual Result<std::vector<DueCheck>> DueChecks(int64_t now, int limit) = 0;
  // The earliest next_check_at of any version, for the scheduler's timer.
  virtual Result<std::optional<int64_t>> NextCheckAt() = 0;
  // Sets (or clears) a version's next check; with `reset_attempts` its
  // attempt counter restarts (a user asked for validation).
  virtual Status ScheduleCheck(int64_t version_id, std::optional<int64_t> at,
                               bool reset_attempts) = 0;

  // Rotation. Adds the slot's next version as pending, due for a check at
  // once; the current version keeps being served meanwhile. kConflict if a
  // version is already pending. Returns the slot as stored.
  virtual Result<Slot> AddVersion(const SlotKey& key, const NewVersion& version,
                                  const Event& event) = 0;
  // Makes the newest retired version whose grace has not ended (and whose
  // secret still exists) the pending one again, due for a check now: it is
  // re-checked before it is served. Returns its number. kNotFound if there
  // is none; kConflict if a version is pending.
  virtual Result<int> BeginRollback(const SlotKey& key, int64_t now, const Event& event) = 0;
  // Revokes `version` (the current one when nullopt): never served again,
  // its secret destroyed at once. Returns the number revoked; kNotFound if
  // there is no such version, kConflict if it is already revoked.
  virtual Result<int> Revoke(const SlotKey& key, std::optional<int> version,
                             const Event& event) = 0;
  // Destroys the secrets of retired versions whose grace ended by `now`
  // (secure_delete plus a WAL checkpoint); records one event per version.
  virtual Result<int> DestroyExpired(int64_t now, uint32_t uid) = 0;
  // The earliest end of grace of a retired version that still has a secret.
  virtual Result<std::optional<int64_t>> NextExpiry() = 0;

  // Reminders: slots whose next_reminder_at <= now, earliest first.
  virtual Result<std::vector<DueReminder>> DueReminders(int64_t now, int limit) = 0;
  // Sets the slot's next reminder and records `events` in one transaction.
  virtual Status SetNextReminder(int64_t slot_id, std::optional<int64_t> at,
                                 const std::vector<Event>& events) = 0;
  virtual Result<std::optional<int64_t>> NextReminderAt() = 0;

  // Passphrase mode: the parameters the master key is derived with, or
  // nullopt when the master key comes from a key file or credential.
  virtual Result<std::optional<KdfParams>> GetKdfParams() = 0;
  // Sets data key `version` to `wrapped` and the KDF parameters to `kdf`
  // (nullopt removes them) in one transaction, if the stored wrapped key is
  // still `expected` (nullopt: none stored yet); kConflict otherwise, and
  // nothing changes. First unlock and rekey are thus all or nothing, and
  // two of them can never overwrite each other's data key.
  virtual Status SwapWrappedDataKey(uint32_t version, const std::optional<Bytes>& expected,
                                    const Bytes& wrapped, const std::optional<KdfParams>& kdf) = 0;
};

// Opens (creating if needed) the SQLite database at `file`, sets WAL,
// synchronous=FULL, foreign_keys=ON, secure_delete=ON, runs quick_check and
// applies the embedded migrations in schema/ that are not applied yet.
// A database from a newer keywarden is refused with kIo and a hint.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& file);

// True for the store's error of a write that found the disk full (kIo,
// message "disk full: ..."): nothing was written, and the same write may
// succeed once space is freed.
bool IsDiskFull(const Error& error);

// The number of the newest migration embedded in this binary.
int LatestSchemaVersion();

}  // namespace keywarden
