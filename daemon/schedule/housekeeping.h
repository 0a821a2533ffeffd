// Upkeep of the state directory that is not a row in the database, run from
// the scheduler (Scheduler::SetHousekeeping): the audit trail's retention
// (config `events`), a batch at a time, and making the space reserve again
// after a revoke or rm used it.
#pragma once

#include <cstdint>
#include <optional>

#include "keywarden/config.h"
#include "keywarden/event_log.h"
#include "storage/space_reserve.h"

namespace keywarden {

// Neither copyable nor movable. Used only from the io_context's thread.
class Housekeeping {
 public:
  // Events deleted or folded per step: one short transaction, so the event
  // loop serves clients between steps.
  static constexpr int kBatch = 2000;
  // Retention runs at start and then this often.
  static constexpr int64_t kRetentionEvery = 24 * 3600;
  // A used or missing reserve is tried again this often.
  static constexpr int64_t kReserveRetry = 60;
  // After a store error, retention waits this long.
  static constexpr int64_t kRetentionRetry = 5 * 60;

  // `reserve` may be null (none kept).
  Housekeeping(EventLog& store, const EventsConfig& config, SpaceReserve* reserve)
      : store_(store), config_(config), reserve_(reserve) {}
  Housekeeping(const Housekeeping&) = delete;
  Housekeeping& operator=(const Housekeeping&) = delete;

  // Does what is due at `now` (at most one retention step) and returns when
  // it is next due: `now` itself while a retention pass has more to do.
  int64_t Run(int64_t now);

 private:
  void RunRetention(int64_t now);
  void RunReserve(int64_t now);

  EventLog& store_;
  const EventsConfig& config_;
  SpaceReserve* reserve_;
  int64_t retention_due_ = 0;  // 0: at once (start)
  int64_t reserve_due_ = 0;
  TrimmedEvents pass_;  // totals of the pass under way, for its log line
};

}  // namespace keywarden
