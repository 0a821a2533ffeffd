// Group commit for the events of served secrets (security.md D4: a secret
// leaves the daemon only after its event is in the audit log). Every get
// that the event loop handles before the next flush runs shares that
// flush's one transaction.
//
// Durability of that transaction (config `audit.sync_before_reply`):
//  - false, the default: committed without an fsync, so the event is in the
//    log (and survives the daemon being killed) before the secret is sent,
//    and the log is fsynced within kSyncWithin after (EventLog::SyncLog). A
//    power loss or kernel crash can lose at most that last second of get
//    events; never a key or an acknowledged change, which are still synced
//    before their reply (B2). An fsync per batch would cap 8 clients at
//    8 per fsync time (docs/benchmarks.md, Machine).
//  - true: fsynced before the reply, like every other write.
//
// The flush runs on the event loop, on the handler's own connection. A
// dedicated writer thread with a second connection was tried and measured
// no better (docs/benchmarks.md): with closed-loop clients every waiting
// client is in the batch being synced, and the second connection made the
// loop's reads miss SQLite's page cache after each of its commits.
//
// Ordering: the flush reads each slot, unseals its secret and records its
// event in that one transaction (EventLog::ServeBatch), so whatever was
// handled before the flush is seen: after a rm, revoke or destruction the
// request fails with kNotFound or kNotUsable, no event, no secret sent;
// after a rotation, the current version is served and its event names it.
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "keywarden/event_log.h"
#include "keywarden/store_records.h"
#include "net/asio.h"

namespace keywarden {

// Neither copyable nor movable. Used only from the io_context's thread.
class AuditWriter {
 public:
  // Called once the entry's batch committed: ok, the entry's own error
  // (from its read or its `serve`), or, for every entry of the batch, the
  // store's error: the audit log cannot be written.
  using Done = std::function<void(Status)>;

  // How long an unsynced batch may wait for its fsync.
  static constexpr std::chrono::seconds kSyncWithin{1};

  AuditWriter(asio::io_context& io, EventLog& store, bool sync_before_reply)
      : io_(io), store_(store), sync_before_reply_(sync_before_reply), sync_timer_(io) {}
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  // Queues `request`; the first entry of a batch posts the flush, behind
  // one more poll of the sockets, so the requests already read or arriving
  // from other connections join it.
  void Submit(ServeRequest request, Done done);

  // Queues an event recorded after the fact (the gateway's one per
  // request): events queued before the flush share one transaction, with
  // the same durability as the served secrets' events. A failure is
  // logged; the events of that batch are lost.
  void Record(Event event);

 private:
  struct Entry {
    ServeRequest request;
    Done done;
  };

  void Flush();
  void FlushRecorded();
  // Arms the fsync of the log kSyncWithin from now, unless it is armed.
  void ScheduleSync();

  asio::io_context& io_;
  EventLog& store_;
  const bool sync_before_reply_;
  std::vector<Entry> queue_;     // non-empty exactly while a flush is posted
  std::vector<Event> recorded_;  // likewise, for Record
  asio::steady_timer sync_timer_;
  bool sync_armed_ = false;
};

// Without a writer (unit tests), the same outcome committed on the spot.
Status ServeNow(EventLog& store, const ServeRequest& request);

}  // namespace keywarden
