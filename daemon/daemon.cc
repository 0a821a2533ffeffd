#include "daemon.h"

#include <fmt/format.h>
#include <grp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "audit_writer.h"
#include "config_reload.h"
#include "gateway/gateway.h"
#include "gateway/token_registry.h"
#include "handlers/request_handler.h"
#include "keys/keyring.h"
#include "keys/vault.h"
#include "keywarden/clock.h"
#include "keywarden/paths.h"
#include "keywarden/providers.h"
#include "keywarden/version.h"
#include "log.h"
#include "net/asio.h"
#include "net/server.h"
#include "schedule/housekeeping.h"
#include "startup.h"
#include "storage/space_reserve.h"
#include "validation/validation_service.h"

namespace keywarden {
namespace {

// SIGHUP: re-reads config.json. A file that does not load leaves the
// running configuration as it was.
void ReloadConfig(const std::filesystem::path& file, Config& running) {
  Result<Config> loaded = LoadConfig(file);
  if (!loaded) {
    log::Error("config not reloaded; the running configuration stays",
               {{"file", file.string()}, {"reason", loaded.error().message}});
    return;
  }
  std::vector<std::string> need_restart = ApplyReload(running, *loaded);
  log::Notice("config reloaded", {{"file", file.string()}});
  for (const std::string& name : need_restart) {
    log::Warning("config change takes effect at the next restart", {{"setting", name}});
  }
}

int StartupFailed(const Error& error) {
  log::Error(error.message, {});
  if (!error.hint.empty()) log::Error("hint: " + error.hint, {});
  return 1;
}

}  // namespace

int RunDaemon(int argc, char** argv) {
  CLI::App app{"keywardend: keeps LLM provider API keys encrypted, verified and rotated"};
  PathOptions path_options;
  std::string home, socket;
  int idle_timeout = 60;
  size_t max_connections = 1024;
  app.add_option("--home", home, "keep config, database, master key and socket in DIR")
      ->envname("KEYWARDEN_HOME");
  app.add_option("--socket", socket, "listen on this socket path")->envname("KEYWARDEN_SOCKET");
  app.add_flag("--system", path_options.system, "system mode: one daemon for every user");
  app.add_option("--idle-timeout", idle_timeout, "close connections idle this many seconds")
      ->check(CLI::Range(1, 86400));
  app.add_option("--max-connections", max_connections, "open connections at most")
      ->check(CLI::Range(1, 100000));
  app.set_version_flag("--version", "keywardend " + std::string(kProductVersion));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; a usage error exits 2, as the CLI's do.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!home.empty()) path_options.home = home;
  if (!socket.empty()) path_options.socket = socket;
  HardenProcess();
  Result<Paths> paths = ResolvePaths(path_options);
  if (!paths) return StartupFailed(paths.error());
  Result<Config> config = LoadConfig(paths->config_file);
  if (!config) return StartupFailed(config.error());
  if (Status ok = EnsurePrivateDir(paths->state_dir); !ok) return StartupFailed(ok.error());
  Result<InstanceLock> lock = InstanceLock::Acquire(paths->lock_file);
  if (!lock) return StartupFailed(lock.error());

  if (Status ok = CheckDatabaseNotEmptied(paths->db_file); !ok) return StartupFailed(ok.error());
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(paths->db_file);
  if (!store) return StartupFailed(store.error());
  asio::io_context io;
  // Empty while sealed; shared by the handler, validation and the vault.
  std::optional<Keyring> keyring;
  Vault vault(io, **store, **store, keyring, *paths, *config);
  if (Status opened = vault.Open(); !opened) return StartupFailed(opened.error());
  if (!SecureMemoryLocked()) {
    log::Warning("secret memory could not be locked (RLIMIT_MEMLOCK); keys may reach swap");
  }

  // Made before the socket listens: a revoke on a full disk needs it.
  SpaceReserve reserve(paths->db_file.parent_path() / "keywarden.reserve");
  if (Status made = reserve.Make(); !made) {
    log::Warning("no space reserve: revoke and rm may fail on a full disk; retried every minute",
                 {{"reason", made.error().message}});
  }

  bool activated = false;
  std::optional<InstanceLock> socket_lock;
  Result<int> listen_fd =
      OpenListenSocket(paths->socket_file, paths->system, &activated, &socket_lock);
  if (!listen_fd) return StartupFailed(listen_fd.error());

  ValidationService validation(io, **store, **store, keyring, *config, Catalogue::Builtin());
  validation.SetCopies(store->get());
  AuditWriter audit(io, **store, config->audit_sync_before_reply);
  // The gateway listens before the socket serves: status shows its URL.
  // The gateway's tokens in memory, reloaded by token.add and token.rm.
  TokenRegistry tokens(**store, keyring);
  std::unique_ptr<Gateway> gateway;
  if (config->gateway) {
    Result<std::unique_ptr<Gateway>> opened =
        Gateway::Open(io, GatewayParts{*config->gateway, *config, Catalogue::Builtin(), **store,
                                       keyring, tokens, audit, &validation});
    if (!opened) return StartupFailed(opened.error());
    gateway = std::move(*opened);
  }
  HandlerOptions handler_options{paths->system,  paths->db_file, paths->socket_file,
                                 vault.origin(), &vault,         &audit};
  if (gateway) handler_options.gateway_url = gateway->url();
  handler_options.reserve = &reserve;
  handler_options.config_file = paths->config_file;
  handler_options.tokens = &tokens;
  RequestHandler handler(**store, *config, Catalogue::Builtin(), handler_options, keyring,
                         &validation);

  ServerOptions server_options;
  server_options.system_mode = paths->system;
  server_options.idle_timeout = std::chrono::seconds(idle_timeout);
  server_options.max_connections = max_connections;
  if (group* admin = ::getgrnam("keywarden-admin")) server_options.admin_gid = admin->gr_gid;

  log::Notice("starting", {{"version", std::string(kProductVersion)},
                           {"mode", paths->system ? "system" : "user"},
                           {"db", paths->db_file.string()},
                           {"socket", paths->socket_file.string()},
                           {"socket_activated", activated ? "yes" : "no"},
                           {"master_key", vault.origin()},
                           {"sealed", keyring ? "no" : "yes"},
                           {"gateway", gateway ? gateway->url() : "off"}});
  Server server(io, *listen_fd, handler, **store, server_options);
  Housekeeping housekeeping(**store, config->events, &reserve);
  validation.SetHousekeeping([&housekeeping](int64_t now) { return housekeeping.Run(now); });
  // This daemon holds the instance lock, so every check lease in the store
  // is a dead daemon's (killed mid-check): those checks run now, not when
  // the lease would have run out.
  if (Result<int> released = (*store)->ReleaseLeases(NowSeconds()); !released) {
    log::Error("cannot resume interrupted checks", {{"error", released.error().message}});
  } else if (*released > 0) {
    log::Notice("resuming checks interrupted by a stop", {{"count", std::to_string(*released)}});
  }
  validation.Start();  // resumes whatever was due while the daemon was down
  server.Run(
      [&validation, &gateway] {
        if (gateway) gateway->Stop();
        validation.Stop();
      },
      [&paths, &config] { ReloadConfig(paths->config_file, *config); });
  if (!activated) ::unlink(paths->socket_file.c_str());
  log::Notice("stopped");
  return 0;
}

}  // namespace keywarden
