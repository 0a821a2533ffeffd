#include "audit_writer.h"

#include <utility>

#include "log.h"

namespace keywarden {
namespace {

Status ServedOutcome(const Result<std::vector<Status>>& served, size_t i) {
  if (!served) {
    return Fail(served.error().code, "cannot write the audit log: " + served.error().message,
                "no secret was sent; check the disk and the database file");
  }
  return (*served)[i];
}

}  // namespace

void AuditWriter::Submit(ServeRequest request, Done done) {
  queue_.push_back(Entry{std::move(request), std::move(done)});
  if (queue_.size() != 1) return;
  // Posted twice: the event loop polls its sockets once more before the
  // flush, so the requests that arrived from other clients meanwhile join
  // this batch: batches grow and the rate rises (docs/benchmarks.md, One
  // more poll before each flush).
  asio::post(io_, [this] { asio::post(io_, [this] { Flush(); }); });
}

void AuditWriter::Flush() {
  std::vector<Entry> batch;
  batch.swap(queue_);
  std::vector<ServeRequest> requests;
  requests.reserve(batch.size());
  for (Entry& e : batch) requests.push_back(std::move(e.request));
  const Result<std::vector<Status>> served =
      store_.ServeBatch(requests, sync_before_reply_ ? Durability::kSynced : Durability::kUnsynced);
  if (served && !sync_before_reply_) ScheduleSync();
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(ServedOutcome(served, i));
}

void AuditWriter::Record(Event event) {
  recorded_.push_back(std::move(event));
  if (recorded_.size() != 1) return;
  asio::post(io_, [this] { asio::post(io_, [this] { FlushRecorded(); }); });
}

void AuditWriter::FlushRecorded() {
  std::vector<Event> batch;
  batch.swap(recorded_);
  const Status written =
      store_.AppendEvents(batch, sync_before_reply_ ? Durability::kSynced : Durability::kUnsynced);
  if (!written) {
    log::Error("cannot write the audit log",
               {{"events", std::to_string(batch.size())}, {"error", written.error().message}});
    return;
  }
  if (!sync_before_reply_) ScheduleSync();
}

void AuditWriter::ScheduleSync() {
  if (sync_armed_) return;
  sync_armed_ = true;
  sync_timer_.expires_after(kSyncWithin);
  sync_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // the daemon is stopping; closing the database syncs the log
    sync_armed_ = false;
    if (Status synced = store_.SyncLog(); !synced) {
      log::Warning("cannot sync the audit log; retried after the next get",
                   {{"error", synced.error().message}});
    }
  });
}

Status ServeNow(EventLog& store, const ServeRequest& request) {
  return ServedOutcome(store.ServeBatch({request}, Durability::kSynced), 0);
}

}  // namespace keywarden
