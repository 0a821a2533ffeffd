#include "audit_writer.h"

#include <utility>

namespace keywarden {
namespace {

Status ServedOutcome(const Result<std::vector<bool>>& recorded, size_t i) {
  if (!recorded) {
    return Fail(recorded.error().code, "cannot write the audit log: " + recorded.error().message,
                "no secret was sent; check the disk and the database file");
  }
  if (!(*recorded)[i]) {
    return Fail(ErrorCode::kNotFound, "the secret was removed or revoked while it was being read");
  }
  return {};
}

}  // namespace

void AuditWriter::Submit(ServedSecret served, Done done) {
  queue_.push_back(Entry{std::move(served), std::move(done)});
  if (queue_.size() == 1) asio::post(io_, [this] { Flush(); });
}

void AuditWriter::Flush() {
  std::vector<Entry> batch;
  batch.swap(queue_);
  std::vector<ServedSecret> served;
  served.reserve(batch.size());
  for (Entry& e : batch) served.push_back(std::move(e.served));
  const Result<std::vector<bool>> recorded = store_.RecordServed(served);
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(ServedOutcome(recorded, i));
}

Status RecordServedNow(Store& store, const ServedSecret& served) {
  return ServedOutcome(store.RecordServed({served}), 0);
}

}  // namespace keywarden
