// The store's role that keeps the audit log: events, and the serving of
// secrets, which is recorded as an event in the same transaction. Each
// method is one transaction: it happens whole or not at all, and (unless
// Durability::kUnsynced says otherwise) it has happened durably when it
// returns success.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keywarden/slot.h"
#include "keywarden/status.h"
#include "keywarden/store_records.h"

namespace keywarden {

struct EventFilter {
  std::optional<std::string> ref;
  int64_t since = 0;  // at >= since
  // Only events of slots this uid owns, and those it caused that belong to
  // no slot (owner_uid null).
  std::optional<uint32_t> owner_uid;
  int limit = 1000;  // newest `limit`, returned oldest first
};

// What one EventLog::TrimEvents call did.
struct TrimmedEvents {
  int deleted = 0;     // events removed for their age
  int aggregated = 0;  // single served-secret events folded into daily rows
  bool more = false;   // a limit was reached: call again for the rest
};

// How a commit reaches the disk; see EventLog::ServeBatch.
enum class Durability { kSynced, kUnsynced };

// One secret to hand out (get, export, exec), for EventLog::ServeBatch.
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

// Thread-safe. Not copyable.
class EventLog {
 public:
  EventLog() = default;
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;
  virtual ~EventLog() = default;

  virtual Status AppendEvent(const Event& event) = 0;
  // Records `events` in one transaction, committed as `durability` says
  // (see ServeBatch); changes no slot (SlotStore::Generation stays).
  virtual Status AppendEvents(const std::vector<Event>& events, Durability durability) = 0;
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
  // kSynced commits like every other write (survives a power loss).
  // kUnsynced commits without waiting for the disk: the events are in the
  // log before this returns and survive the daemon being killed, but a
  // power loss or kernel crash before the next SyncLog() or synced commit
  // can lose them.
  virtual Result<std::vector<Status>> ServeBatch(const std::vector<ServeRequest>& batch,
                                                 Durability durability) = 0;
  // Makes every committed transaction durable against a power loss.
  virtual Status SyncLog() = 0;
  virtual Result<std::vector<Event>> ListEvents(const EventFilter& filter) = 0;
  // Event retention, one transaction (config `events`, docs/schema.md):
  // deletes at most `limit` of the oldest events with at < delete_before,
  // then folds at most `limit` of the oldest single get, export and exec
  // events of whole UTC days before `aggregate_before` (rounded down to a
  // day's start) into one row per (action, slot, version, fingerprint, uid,
  // owner, day) with their count, added to such a row if one exists.
  // nullopt skips that part. Freed space is reused by later writes; the
  // store does not shrink.
  virtual Result<TrimmedEvents> TrimEvents(std::optional<int64_t> delete_before,
                                           std::optional<int64_t> aggregate_before, int limit) = 0;
};

}  // namespace keywarden
