#include "schedule/scheduler.h"

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
    log::Error("cannot read the schedule",
               {{"what", std::string(what)}, {"error", candidate.error().message}});
    return;
  }
  if (*candidate && (!into || **candidate < *into)) into = *candidate;
}

}  // namespace

Scheduler::Scheduler(asio::io_context& io, ScheduleStore& store, Hooks hooks, int64_t lease_seconds)
    : store_(store), hooks_(std::move(hooks)), lease_seconds_(lease_seconds), timer_(io) {}

void Scheduler::Arm(bool back_off) {
  if (stopped_) return;
  std::optional<int64_t> next;
  Earliest(next, store_.NextCheckAt(), "checks");
  Earliest(next, store_.NextExpiry(), "grace");
  Earliest(next, store_.NextReminderAt(), "reminders");
  if (housekeeping_ && (!next || housekeeping_due_ < *next)) next = housekeeping_due_;
  next_wakeup_ = next;
  if (!next) {
    timer_.cancel();
    return;
  }
  // Due at the start of second *next, not up to a second after it.
  int64_t delay_ms = std::max<int64_t>(0, *next * 1000 - NowMillis());
  // Re-read at least daily so a changed wall clock cannot strand an item.
  delay_ms = std::min<int64_t>(delay_ms, 86400 * 1000);
  if (delay_ms == 0 && back_off) delay_ms = 1000;
  timer_.expires_after(std::chrono::milliseconds(delay_ms));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) Fire();
  });
}

void Scheduler::Fire() {
  int64_t now = NowSeconds();
  int handled = RunChecks(now);
  Result<int> destroyed = store_.DestroyExpired(now, static_cast<uint32_t>(::geteuid()));
  if (!destroyed) {
    log::Error("cannot destroy expired secrets", {{"error", destroyed.error().message}});
  } else if (*destroyed > 0) {
    log::Notice("destroyed retired secrets whose grace ended",
                {{"count", std::to_string(*destroyed)}});
    handled += *destroyed;
  }
  handled += RunReminders(now);
  if (housekeeping_ && housekeeping_due_ <= now) {
    housekeeping_due_ = housekeeping_(now);
    ++handled;
  }
  // Handled items moved on (leased, rescheduled, destroyed), so an item
  // still due is the next batch: at once. Nothing handled while something
  // is due means it cannot be moved on now (a check still running past its
  // lease, a store error): wait a second.
  Arm(handled == 0);
}

int Scheduler::RunChecks(int64_t now) {
  Result<std::vector<DueCheck>> due = store_.DueChecks(now, kBatch);
  if (!due) {
    log::Error("cannot read due checks", {{"error", due.error().message}});
    return 0;
  }
  int started = 0;
  for (const DueCheck& check : *due) {
    if (running_.count(check.version_id)) continue;
    // A lease: if the daemon dies mid-check, the check runs again after it.
    if (Status s = store_.LeaseCheck(check.version_id, now + lease_seconds_); !s) {
      log::Error("cannot schedule check",
                 {{"ref", check.slot.ref.str()}, {"error", s.error().message}});
      continue;
    }
    running_.insert(check.version_id);
    ++started;
    hooks_.run_check(check);
  }
  return started;
}

int Scheduler::RunReminders(int64_t now) {
  Result<std::vector<DueReminder>> due = store_.DueReminders(now, kBatch);
  if (!due) {
    log::Error("cannot read due reminders", {{"error", due.error().message}});
    return 0;
  }
  int handled = 0;
  for (const DueReminder& reminder : *due) handled += hooks_.run_reminder(reminder) ? 1 : 0;
  return handled;
}

void Scheduler::SetHousekeeping(std::function<int64_t(int64_t now)> run) {
  housekeeping_ = std::move(run);
  housekeeping_due_ = NowSeconds();
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
