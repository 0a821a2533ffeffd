// The store's role that keeps what is due and when: version checks,
// rotation reminders and the end of retired versions' grace. The daemon's
// scheduler arms one timer from the Next* methods. Each method is one
// transaction: it happens whole or not at all, and it has happened durably
// when it returns success.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keywarden/slot.h"
#include "keywarden/status.h"
#include "keywarden/store_records.h"

namespace keywarden {

// A version whose next check is due.
struct DueCheck {
  SlotKey slot;
  int version = 0;
  int64_t version_id = 0;
  int64_t due_at = 0;
};

// A slot whose rotation reminder is due.
struct DueReminder {
  int64_t slot_id = 0;
  SlotRef ref;
  uint32_t owner_uid = 0;
  int current_version = 0;
  std::string fingerprint;  // of the current version
  int64_t rotation_due_at = 0;
  int64_t reminder_at = 0;  // when this reminder was due
  RotationPolicy policy;
};

// Thread-safe. Not copyable.
class ScheduleStore {
 public:
  ScheduleStore() = default;
  ScheduleStore(const ScheduleStore&) = delete;
  ScheduleStore& operator=(const ScheduleStore&) = delete;
  virtual ~ScheduleStore() = default;

  // Versions with next_check_at <= now, earliest first, at most `limit`.
  virtual Result<std::vector<DueCheck>> DueChecks(int64_t now, int limit) = 0;
  // The earliest next_check_at of any version, for the scheduler's timer.
  virtual Result<std::optional<int64_t>> NextCheckAt() = 0;
  // Sets (or clears) a version's next check; with `reset_attempts` its
  // attempt counter restarts (a user asked for validation). kNotFound if
  // the version no longer exists.
  virtual Status ScheduleCheck(int64_t version_id, std::optional<int64_t> at,
                               bool reset_attempts) = 0;
  // Marks a version's check as running until `until`, its lease: if the
  // daemon dies meanwhile the check is due then. ScheduleCheck and
  // RecordValidation end the lease.
  virtual Status LeaseCheck(int64_t version_id, int64_t until) = 0;
  // Makes every leased check due at `now` and ends its lease; returns how
  // many. Called at start, when every lease is a dead daemon's (the daemon
  // holds the instance lock).
  virtual Result<int> ReleaseLeases(int64_t now) = 0;

  // Destroys the secrets of retired versions whose grace ended by `now`, so
  // that no copy of them stays in the store's files; records one `destroy`
  // event per version, as `uid`. Returns how many were destroyed.
  virtual Result<int> DestroyExpired(int64_t now, uint32_t uid) = 0;
  // The earliest end of grace of a retired version that still has a secret.
  virtual Result<std::optional<int64_t>> NextExpiry() = 0;

  // Reminders: slots whose next reminder is at or before `now`, earliest
  // first, at most `limit`.
  virtual Result<std::vector<DueReminder>> DueReminders(int64_t now, int limit) = 0;
  // Sets the slot's next reminder (nullopt: none) and records `events` in
  // one transaction.
  virtual Status SetNextReminder(int64_t slot_id, std::optional<int64_t> at,
                                 const std::vector<Event>& events) = 0;
  // The earliest next reminder of any slot, for the scheduler's timer.
  virtual Result<std::optional<int64_t>> NextReminderAt() = 0;
};

}  // namespace keywarden
