// Runs the optional notify.command (an argv array) with an event as JSON on
// its standard input. Bounded in time, never blocks the daemon, and sees
// nothing of the daemon: the command gets only descriptors 0-2 (stdin is the
// event), runs in a process group of its own, and that whole group,
// background children included, is killed 10 s after the start. A failure
// is only logged.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keywarden/protocol.h"
#include "net/asio.h"

namespace keywarden {

class Notifier {
 public:
  Notifier(asio::io_context& io, std::vector<std::string> command,
           std::chrono::seconds limit = std::chrono::seconds(10));
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;
  // Kills every group still running and reaps the leaders.
  ~Notifier();

  // Starts the command for `event` (does nothing without a command).
  void Send(const Json& event);
  // Commands started whose group has not yet been killed at its deadline.
  size_t running() const { return children_.size(); }

 private:
  struct Child {
    std::unique_ptr<asio::steady_timer> deadline;
    bool exited = false;  // the leader's exit was seen (and logged)
  };

  void WaitForChildren();
  void NoteExits();

  asio::io_context& io_;
  std::vector<std::string> command_;
  std::chrono::seconds limit_;
  asio::signal_set child_signal_;
  // Leader pid (= process group id) -> its deadline. A leader that exits
  // early stays a zombie until the deadline, so that its group id cannot
  // be reused by an unrelated group before kill(-pgid) runs.
  std::map<pid_t, Child> children_;
};

}  // namespace keywarden
