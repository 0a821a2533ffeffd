#include "net/refused_connections.h"

#include <fmt/format.h>
#include <unistd.h>

#include "keywarden/clock.h"
#include "log.h"

namespace keywarden {

void RefusedConnections::Count(uid_t uid, pid_t pid) {
  if (tallies_.empty()) {
    timer_.expires_after(kWindow);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Flush();
    });
  }
  Tally& tally = tallies_[uid];
  if (tally.count++ == 0) {
    tally.first_at = NowSeconds();
    log::Warning("refused connection from another uid; more from it are counted for a minute",
                 {{"uid", std::to_string(uid)}, {"pid", std::to_string(pid)}});
  }
  tally.last_pid = pid;
}

void RefusedConnections::Flush() {
  timer_.cancel();
  std::map<uid_t, Tally> tallies;
  tallies.swap(tallies_);
  const std::string accepted = "user mode accepts only uid " + std::to_string(::geteuid());
  for (const auto& [uid, tally] : tallies) {
    log::Warning("refused connections from another uid",
                 {{"uid", std::to_string(uid)},
                  {"count", std::to_string(tally.count)},
                  {"last_pid", std::to_string(tally.last_pid)}});
    Event event;
    event.at = tally.first_at;
    event.uid = uid;
    event.action = "denied_connection";
    event.detail = fmt::format("{} connection{} refused within {} s: {}", tally.count,
                               tally.count == 1 ? "" : "s", kWindow.count(), accepted);
    if (Status s = store_.AppendEvent(event); !s) {
      log::Error("cannot record event", {{"error", s.error().message}});
    }
  }
}

}  // namespace keywarden
