#include "scheduler.h"

#include <unistd.h>

#include <algorithm>

#include "keywarden/clock.h"
#include "log.h"

namespace keywarden {
namespace {

// Items handled per timer tick; the rest follow on the next tick at once.
constexpr int kBatch = 256;

void Earliest(std::optional<int64_t>& into, const Result<std::optional<int64_t>>& candidate,
              std::string_view what) {
  if (!candidate) {
    log::Error("cannot read the schedule", {{"what", std::string(what)}, {"error", candidate.error().message}});
    return;
  }
  if (*candidate && (!into || **candidate < *into)) into = **candidate;
}

}  // namespace

Scheduler::Scheduler(asio::io_context& io, Store& store, Hooks hooks, int64_t lease_seconds)
    : store_(store), hooks_(std::move(hooks)), lease_seconds_(lease_seconds), timer_(io) {}

void Scheduler::Poke() {
  if (stopped_) return;
  std::optional<int64_t> next;
  Earliest(next, store_.NextCheckAt(), "checks");
  Earliest(next, store_.NextExpiry(), "grace");
  Earliest(next, store_.NextReminderAt(), "reminders");
  next_wakeup_ = next;
  if (!next) {
    timer_.cancel();
    return;
  }
  int64_t delay = std::max<int64_t>(0, *next - NowSeconds());
  // Re-read at least daily so a changed wall clock cannot strand an item.
  delay = std::min<int64_t>(delay, 86400);
  if (delay == 0 && fired_at_ == NowSeconds()) delay = 1;
  timer_.expires_after(std::chrono::seconds(delay));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) Fire();
  });
}

void Scheduler::Fire() {
  int64_t now = NowSeconds();
  fired_at_ = now;
  RunChecks(now);
  Result<int> destroyed = store_.DestroyExpired(now, static_cast<uint32_t>(::geteuid()));
  if (!destroyed) {
    log::Error("cannot destroy expired secrets", {{"error", destroyed.error().message}});
  } else if (*destroyed > 0) {
    log::Notice("destroyed retired secrets whose grace ended", {{"count", std::to_string(*destroyed)}});
  }
  RunReminders(now);
  Poke();
}

void Scheduler::RunChecks(int64_t now) {
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
    hooks_.run_check(check);
  }
}

void Scheduler::RunReminders(int64_t now) {
  Result<std::vector<DueReminder>> due = store_.DueReminders(now, kBatch);
  if (!due) {
    log::Error("cannot read due reminders", {{"error", due.error().message}});
    return;
  }
  for (const DueReminder& reminder : *due) hooks_.run_reminder(reminder);
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
