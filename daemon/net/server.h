// The daemon's event loop: accepts connections on the Unix socket, checks
// each peer's uid, reloads on SIGHUP and shuts down in one place
// (SIGINT/SIGTERM).
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "handlers/request_handler.h"
#include "keywarden/event_log.h"
#include "net/asio.h"
#include "net/connection_manager.h"
#include "net/refused_connections.h"

namespace keywarden {

struct ServerOptions {
  bool system_mode = false;
  std::chrono::seconds idle_timeout{60};
  size_t max_connections = 1024;
  std::optional<gid_t> admin_gid;  // keywarden-admin, system mode
};

class Server {
 public:
  // Takes ownership of a listening socket fd (self-created or passed by
  // systemd socket activation).
  Server(asio::io_context& io, int listen_fd, RequestHandler& handler, EventLog& events,
         ServerOptions options);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Runs until SIGINT/SIGTERM; sends READY=1 once accepting and STOPPING=1
  // on the way out, where `on_shutdown` stops the other services. Each
  // SIGHUP runs `on_reload` on the loop between RELOADING=1 and READY=1;
  // without one, SIGHUP is ignored rather than ending the daemon.
  void Run(std::function<void()> on_shutdown = {}, std::function<void()> on_reload = {});

 private:
  void Accept();
  void OnAccepted(UnixSocket socket);
  void Shutdown();
  void PingWatchdog();
  void WaitForReload();

  asio::io_context& io_;
  UnixAcceptor acceptor_;
  asio::signal_set signals_;
  asio::signal_set reload_signal_;
  asio::steady_timer watchdog_timer_;
  asio::steady_timer accept_retry_timer_;  // after a failed accept with nothing to close
  std::chrono::microseconds watchdog_interval_{0};
  RequestHandler& handler_;
  ServerOptions options_;
  ConnectionManager manager_;
  RefusedConnections refused_;
  std::function<void()> on_shutdown_;
  std::function<void()> on_reload_;
  // Produces the pieces of slot.list replies off the loop. Last: it is
  // joined first, while what a piece in flight uses still exists.
  asio::thread_pool pieces_worker_{1};
};

}  // namespace keywarden
