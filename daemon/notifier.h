// Runs the optional notify.command (an argv array) with an event as JSON on
// its standard input. Bounded in time, never blocks the daemon: a command
// still running after 10 s is killed, and a failure is only logged.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "asio.h"
#include "keywarden/protocol.h"

namespace keywarden {

class Notifier {
 public:
  Notifier(asio::io_context& io, std::vector<std::string> command,
           std::chrono::seconds limit = std::chrono::seconds(10));
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;
  ~Notifier();

  // Starts the command for `event` (does nothing without a command).
  void Send(const Json& event);
  size_t running() const { return children_.size(); }

 private:
  void WaitForChildren();
  void Reap();

  asio::io_context& io_;
  std::vector<std::string> command_;
  std::chrono::seconds limit_;
  asio::signal_set child_signal_;
  std::map<pid_t, std::unique_ptr<asio::steady_timer>> children_;  // pid -> kill timer
};

}  // namespace keywarden
