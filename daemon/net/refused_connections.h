// Connections refused for their uid (user mode serves only the daemon's
// own uid), counted and recorded in batches. A refusal is a close on the
// event loop and nothing more: a client connecting in a loop must not buy
// an fsynced audit write per connect, which stalled the owner's requests
// behind thousands of them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>

#include "keywarden/event_log.h"
#include "net/asio.h"

namespace keywarden {

// Neither copyable nor movable. Used only from the io_context's thread.
class RefusedConnections {
 public:
  // How long refusals are counted before they are recorded.
  static constexpr std::chrono::seconds kWindow{60};

  RefusedConnections(asio::io_context& io, EventLog& store) : store_(store), timer_(io) {}
  RefusedConnections(const RefusedConnections&) = delete;
  RefusedConnections& operator=(const RefusedConnections&) = delete;

  // Counts a refused connection of `uid` (from `pid`). The first one of a
  // uid in a window is logged at once; kWindow after the window's first
  // refusal, each uid's count becomes one `denied_connection` event and
  // one log line.
  void Count(uid_t uid, pid_t pid);
  // Records what is counted and not yet recorded, at once (at shutdown).
  void Flush();

 private:
  struct Tally {
    uint64_t count = 0;
    int64_t first_at = 0;  // unix seconds
    pid_t last_pid = 0;
  };

  std::map<uid_t, Tally> tallies_;  // non-empty exactly while timer_ is armed
  EventLog& store_;
  asio::steady_timer timer_;
};

}  // namespace keywarden
