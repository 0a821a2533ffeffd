#include "net/server.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <vector>

#include "log.h"

namespace keywarden {
namespace {

bool InGroup(uid_t uid, gid_t primary, gid_t group) {
  if (primary == group) return true;
  passwd* pw = ::getpwuid(uid);
  if (!pw) return false;
  int count = 64;
  std::vector<gid_t> groups(static_cast<size_t>(count));
  if (::getgrouplist(pw->pw_name, primary, groups.data(), &count) < 0) {
    groups.resize(static_cast<size_t>(count));
    if (::getgrouplist(pw->pw_name, primary, groups.data(), &count) < 0) return false;
  }
  groups.resize(static_cast<size_t>(count));
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

}  // namespace

Server::Server(asio::io_context& io, int listen_fd, RequestHandler& handler, EventLog& events,
               ServerOptions options)
    : io_(io),
      acceptor_(io, asio::local::stream_protocol(), listen_fd),
      signals_(io, SIGINT, SIGTERM),
      reload_signal_(io, SIGHUP),
      watchdog_timer_(io),
      accept_retry_timer_(io),
      handler_(handler),
      options_(options),
      manager_(options.max_connections),
      refused_(io, events) {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0) watchdog_interval_ = std::chrono::microseconds(usec / 2);
}

void Server::Run(std::function<void()> on_shutdown, std::function<void()> on_reload) {
  on_shutdown_ = std::move(on_shutdown);
  on_reload_ = std::move(on_reload);
  WaitForReload();
  signals_.async_wait([this](boost::system::error_code, int signal) {
    log::Notice("shutting down", {{"signal", std::to_string(signal)}});
    Shutdown();
  });
  Accept();
  if (watchdog_interval_.count() > 0) PingWatchdog();
  sd_notify(0, "READY=1\nSTATUS=accepting connections");
  log::Notice("ready");
  io_.run();
}

void Server::WaitForReload() {
  reload_signal_.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    if (on_reload_) {
      sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
      on_reload_();
      sd_notify(0, "READY=1\nSTATUS=accepting connections");
    }
    WaitForReload();
  });
}

void Server::PingWatchdog() {
  // Pinged from the event loop itself: a hung loop stops the pings and
  // systemd restarts the daemon.
  sd_notify(0, "WATCHDOG=1");
  watchdog_timer_.expires_after(watchdog_interval_);
  watchdog_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) PingWatchdog();
  });
}

void Server::Shutdown() {
  sd_notify(0, "STOPPING=1");
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  reload_signal_.cancel(ignored);
  watchdog_timer_.cancel();
  accept_retry_timer_.cancel();
  manager_.StopAll();
  refused_.Flush();
  if (on_shutdown_) on_shutdown_();
  io_.stop();
}

void Server::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, UnixSocket socket) {
    if (!acceptor_.is_open()) return;
    if (!ec) {
      OnAccepted(std::move(socket));
    } else if (ec == asio::error::no_descriptors) {
      // The file limit runs out before the cap: make room the way the cap
      // does. With nothing to close, wait rather than retry the accept in
      // a busy loop (the client stays queued in the backlog meanwhile).
      log::Warning("out of file descriptors, closing the longest-idle connection");
      if (!manager_.StopIdlest()) {
        accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
        accept_retry_timer_.async_wait([this](boost::system::error_code wait_ec) {
          if (!wait_ec) Accept();
        });
        return;
      }
    }
    Accept();
  });
}

void Server::OnAccepted(UnixSocket socket) {
  // Asio's accept has no SOCK_CLOEXEC: set it before anything else runs, so
  // that no program the daemon starts inherits a client's connection (the
  // notify child also closes every descriptor above 2 before its exec).
  ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
  ucred cred{};
  socklen_t length = sizeof(cred);
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
    log::Warning("cannot read peer credentials; closing connection");
    return;
  }
  Peer peer{cred.uid, cred.gid, cred.pid, false};
  if (!options_.system_mode) {
    // User mode: only the daemon's own uid. Closed before any byte is read.
    if (cred.uid != ::geteuid()) {
      refused_.Count(cred.uid, cred.pid);
      return;
    }
    peer.admin = true;
  } else {
    peer.admin =
        cred.uid == 0 || (options_.admin_gid && InGroup(cred.uid, cred.gid, *options_.admin_gid));
  }
  manager_.Start(std::make_shared<Connection>(std::move(socket), peer, manager_, handler_,
                                              pieces_worker_, options_.idle_timeout));
}

}  // namespace keywarden
