#include "keywarden/paths.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

namespace keywarden {
namespace {

namespace fs = std::filesystem;

// The value of an environment variable, nullopt if unset or empty.
std::optional<std::string> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// XDG base directories must be absolute; a relative value is ignored as the
// specification says.
std::optional<fs::path> XdgDir(const char* name) {
  auto value = Env(name);
  if (!value || fs::path(*value).is_relative()) return std::nullopt;
  return fs::path(*value);
}

// systemd sets STATE_DIRECTORY and RUNTIME_DIRECTORY to a colon-separated
// list when a unit names several; keywarden's own directory is the first.
fs::path FirstOf(const std::optional<std::string>& list, const char* fallback) {
  if (!list) return fallback;
  return fs::path(list->substr(0, list->find(':')));
}

Result<fs::path> HomeDir() {
  if (auto home = Env("HOME")) return fs::path(*home);
  // getpwuid_r rather than getpwuid: the daemon resolves paths from several threads.
  long size_hint = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size_hint > 0 ? static_cast<size_t>(size_hint) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
      found->pw_dir != nullptr && found->pw_dir[0] != '\0') {
    return fs::path(found->pw_dir);
  }
  return Fail(ErrorCode::kInvalidArgument, "cannot determine the home directory",
              "set HOME, or use --home DIR");
}

void FillStateFiles(Paths& paths) {
  paths.db_file = paths.state_dir / "keywarden.db";
  paths.master_key_file = paths.state_dir / "master.key";
  paths.lock_file = paths.state_dir / "keywardend.lock";
}

Result<Paths> UserPaths() {
  Paths paths;
  std::optional<fs::path> config_home = XdgDir("XDG_CONFIG_HOME");
  std::optional<fs::path> state_home = XdgDir("XDG_STATE_HOME");
  if (!config_home || !state_home) {
    auto home = HomeDir();
    if (!home) return std::unexpected(home.error());
    if (!config_home) config_home = *home / ".config";
    if (!state_home) state_home = *home / ".local" / "state";
  }
  paths.config_file = *config_home / "keywarden" / "config.json";
  paths.state_dir = *state_home / "keywarden";
  FillStateFiles(paths);
  std::optional<fs::path> runtime = XdgDir("XDG_RUNTIME_DIR");
  paths.socket_file =
      runtime ? *runtime / "keywarden" / "keywarden.sock" : paths.state_dir / "keywarden.sock";
  return paths;
}

Paths SystemPaths() {
  Paths paths;
  paths.config_file = "/etc/keywarden/config.json";
  paths.state_dir = FirstOf(Env("STATE_DIRECTORY"), "/var/lib/keywarden");
  FillStateFiles(paths);
  paths.socket_file = FirstOf(Env("RUNTIME_DIRECTORY"), "/run/keywarden") / "keywarden.sock";
  return paths;
}

}  // namespace

Result<Paths> ResolvePaths(const PathOptions& options) {
  std::optional<fs::path> home = options.home;
  if (!home) {
    if (auto env = Env("KEYWARDEN_HOME")) home = fs::path(*env);
  }
  Paths paths;
  if (home) {
    if (home->empty()) return Fail(ErrorCode::kInvalidArgument, "the home directory is empty");
    // Absolute, so that the daemon's paths do not depend on its working directory.
    std::error_code ec;
    fs::path dir = fs::absolute(*home, ec).lexically_normal();
    if (ec) {
      return Fail(ErrorCode::kInvalidArgument,
                  "cannot resolve home directory " + home->string() + ": " + ec.message());
    }
    if (!dir.has_filename() && dir.has_parent_path()) dir = dir.parent_path();  // "dir/" -> "dir"
    paths.config_file = dir / "config.json";
    paths.state_dir = dir;
    FillStateFiles(paths);
    paths.socket_file = dir / "keywarden.sock";
  } else if (options.system) {
    paths = SystemPaths();
  } else {
    auto user = UserPaths();
    if (!user) return user;
    paths = std::move(*user);
  }
  paths.system = options.system;
  if (options.socket) {
    paths.socket_file = *options.socket;
  } else if (auto env = Env("KEYWARDEN_SOCKET")) {
    paths.socket_file = *env;
  }
  return paths;
}

}  // namespace keywarden
