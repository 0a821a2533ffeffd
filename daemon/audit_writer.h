// Group commit for the events of served secrets (security.md D4: a secret
// leaves the daemon only after its event is durable). Every get that the
// event loop handles before the next flush runs shares that flush's one
// transaction, so one fsync (synchronous=FULL, B2), instead of one each.
//
// The flush runs on the event loop, on the handler's own connection. A
// dedicated writer thread with a second connection was tried and measured
// no better (docs/benchmarks.md): with closed-loop clients every waiting
// client is in the batch being synced, and the second connection made the
// loop's reads miss SQLite's page cache after each of its commits.
//
// Ordering: the request handler reads and unseals the secret, then submits
// its event. A rm, revoke or destruction of that version handled before the
// flush wins: the flush finds the secret gone and that request fails with
// kNotFound, no event, no secret sent. A rotation in between does not: the
// version that was read stays valid through its grace and is served, and
// its event names it.
#pragma once

#include <functional>
#include <vector>

#include "asio.h"
#include "keywarden/store.h"

namespace keywarden {

// Neither copyable nor movable. Used only from the io_context's thread.
class AuditWriter {
 public:
  // Called once the entry's batch committed: ok, kNotFound if the secret
  // was removed or revoked meanwhile, or the store's error (the audit log
  // cannot be written) for every entry of the batch.
  using Done = std::function<void(Status)>;

  AuditWriter(asio::io_context& io, Store& store) : io_(io), store_(store) {}
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  // Queues `served`; the first entry of a batch posts the flush, so the
  // requests already read from other connections join it.
  void Submit(ServedSecret served, Done done);

 private:
  struct Entry {
    ServedSecret served;
    Done done;
  };

  void Flush();

  asio::io_context& io_;
  Store& store_;
  std::vector<Entry> queue_;  // non-empty exactly while a flush is posted
};

// Without a writer (unit tests), the same outcome committed on the spot.
Status RecordServedNow(Store& store, const ServedSecret& served);

}  // namespace keywarden
