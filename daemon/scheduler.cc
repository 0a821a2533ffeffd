#include "scheduler.h"

#include <algorithm>

#include "keywarden/clock.h"
#include "log.h"

namespace keywarden {
namespace {

// Checks started per timer tick; the rest follow on the next tick at once.
constexpr int kBatch = 256;

}  // namespace

Scheduler::Scheduler(asio::io_context& io, Store& store, std::function<void(const DueCheck&)> run,
                     int64_t lease_seconds)
    : io_(io), store_(store), run_(std::move(run)), lease_seconds_(lease_seconds), timer_(io) {}

void Scheduler::Poke() {
  if (stopped_) return;
  Result<std::optional<int64_t>> next = store_.NextCheckAt();
  if (!next) {
    log::Error("cannot read the check schedule", {{"error", next.error().message}});
    return;
  }
  if (!*next) {
    timer_.cancel();
    return;
  }
  Arm(**next);
}

void Scheduler::Arm(int64_t due_at) {
  int64_t delay = std::max<int64_t>(0, due_at - NowSeconds());
  // Re-read at least daily so a changed wall clock cannot strand a check.
  delay = std::min<int64_t>(delay, 86400);
  timer_.expires_after(std::chrono::seconds(delay));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) Fire();
  });
}

void Scheduler::Fire() {
  int64_t now = NowSeconds();
  Result<std::vector<DueCheck>> due = store_.DueChecks(now, kBatch);
  if (!due) {
    log::Error("cannot read due checks", {{"error", due.error().message}});
    return;
  }
  for (const DueCheck& check : *due) {
    if (running_.count(check.version_id)) continue;
    // A lease: if the daemon dies mid-check, the check runs again after it.
    if (Status s = store_.ScheduleCheck(check.version_id, now + lease_seconds_, false); !s) {
      log::Error("cannot schedule check", {{"ref", check.ref.str()}, {"error", s.error().message}});
      continue;
    }
    running_.insert(check.version_id);
    run_(check);
  }
  Poke();
}

void Scheduler::Finished(int64_t version_id) {
  running_.erase(version_id);
  Poke();
}

void Scheduler::Stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace keywarden
