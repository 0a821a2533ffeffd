// Everything the daemon does on a clock is a row in SQLite: checks
// (versions.next_check_at), the end of a retired key's grace
// (retired_at + grace) and rotation reminders (slots.next_reminder_at). One
// timer is armed for the earliest of them; there is no polling loop, and a
// restart resumes from the rows.
#pragma once

#include <cstdint>
#include <functional>
#include <set>

#include "keywarden/schedule_store.h"
#include "net/asio.h"

namespace keywarden {

class Scheduler {
 public:
  struct Hooks {
    // Starts one check; must end with a call to Finished(version_id).
    std::function<void(const DueCheck&)> run_check;
    // Handles one due reminder: moves the slot's next_reminder_at on and
    // returns true, or returns false if it could not (a store error).
    std::function<bool(const DueReminder&)> run_reminder;
  };

  Scheduler(asio::io_context& io, ScheduleStore& store, Hooks hooks, int64_t lease_seconds);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Re-reads the earliest due time and re-arms the timer. Call after any
  // change to the schedule: an item due now runs at once.
  void Poke() { Arm(false); }
  // Upkeep that is not a row (Housekeeping: event retention, the space
  // reserve): `run(now)` is called when due, first at the next tick, and
  // returns when it is next due (`now` again: at once, after other work).
  void SetHousekeeping(std::function<int64_t(int64_t now)> run);
  void Finished(int64_t version_id);
  void Stop();
  size_t running() const { return running_.size(); }
  bool IsRunning(int64_t version_id) const { return running_.count(version_id) > 0; }
  // When the timer is due, for `status`; nullopt when nothing is scheduled.
  std::optional<int64_t> next_wakeup() const { return next_wakeup_; }

 private:
  // As Poke; with `back_off`, an item already due waits a second instead
  // (the tick that just ran could not move it on: no spin on it).
  void Arm(bool back_off);
  void Fire();
  // Each returns how many items it started or handled.
  int RunChecks(int64_t now);
  int RunReminders(int64_t now);

  ScheduleStore& store_;
  Hooks hooks_;
  int64_t lease_seconds_;
  asio::steady_timer timer_;
  std::set<int64_t> running_;  // version ids being checked now
  std::optional<int64_t> next_wakeup_;
  std::function<int64_t(int64_t)> housekeeping_;  // empty: none
  int64_t housekeeping_due_ = 0;
  bool stopped_ = false;
};

}  // namespace keywarden
