// The check schedule: rows in SQLite (versions.next_check_at), one timer
// armed for the earliest. No polling loop: the daemon sleeps until then.
#pragma once

#include <cstdint>
#include <functional>
#include <set>

#include "asio.h"
#include "keywarden/store.h"

namespace keywarden {

class Scheduler {
 public:
  // `run` starts one check; it must call Finished(version_id) when done.
  Scheduler(asio::io_context& io, Store& store, std::function<void(const DueCheck&)> run,
            int64_t lease_seconds);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Re-reads the earliest due time and re-arms the timer. Call after any
  // change to next_check_at.
  void Poke();
  void Finished(int64_t version_id);
  void Stop();
  size_t running() const { return running_.size(); }

 private:
  void Arm(int64_t due_at);
  void Fire();

  asio::io_context& io_;
  Store& store_;
  std::function<void(const DueCheck&)> run_;
  int64_t lease_seconds_;
  asio::steady_timer timer_;
  std::set<int64_t> running_;  // version ids being checked now
  bool stopped_ = false;
};

}  // namespace keywarden
