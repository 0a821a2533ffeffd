#include "schedule/housekeeping.h"

#include <algorithm>
#include <string>

#include "log.h"

namespace keywarden {

int64_t Housekeeping::Run(int64_t now) {
  if (now >= reserve_due_) RunReserve(now);
  if (now >= retention_due_) RunRetention(now);
  const bool reserve_pending =
      reserve_ != nullptr && reserve_->state() != SpaceReserve::State::kHeld;
  return reserve_pending ? std::min(retention_due_, reserve_due_) : retention_due_;
}

void Housekeeping::RunReserve(int64_t now) {
  reserve_due_ = now + kReserveRetry;
  if (reserve_ == nullptr || reserve_->state() == SpaceReserve::State::kHeld) return;
  const bool was_used = reserve_->state() == SpaceReserve::State::kUsed;
  if (Status made = reserve_->Make(); made) {
    log::Notice(
        was_used ? "the space reserve is made again" : "the space reserve is made",
        {{"reserve", reserve_->file().string()}, {"bytes", std::to_string(reserve_->bytes())}});
  }
}

void Housekeeping::RunRetention(int64_t now) {
  std::optional<int64_t> delete_before, aggregate_before;
  if (config_.keep) delete_before = now - *config_.keep;
  if (config_.aggregate_gets_after) aggregate_before = now - *config_.aggregate_gets_after;
  if (!delete_before && !aggregate_before) {
    retention_due_ = now + kRetentionEvery;
    return;
  }
  Result<TrimmedEvents> step = store_.TrimEvents(delete_before, aggregate_before, kBatch);
  if (!step) {
    log::Error("cannot apply the event retention", {{"error", step.error().message}});
    retention_due_ = now + kRetentionRetry;
    pass_ = {};
    return;
  }
  pass_.deleted += step->deleted;
  pass_.aggregated += step->aggregated;
  if (step->more) {
    retention_due_ = now;  // the next step on the next tick, after other work
    return;
  }
  if (pass_.deleted > 0 || pass_.aggregated > 0) {
    log::Notice("applied the event retention",
                {{"deleted", std::to_string(pass_.deleted)},
                 {"aggregated_gets", std::to_string(pass_.aggregated)}});
  }
  pass_ = {};
  retention_due_ = now + kRetentionEvery;
}

}  // namespace keywarden
