#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "command.h"
#include "keywarden/paths.h"
#include "keywarden/version.h"
#include "output.h"

namespace keywarden::cli {

int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotUsable:
      return kExitNotUsable;
    case ErrorCode::kNotFound:
      return kExitNotFound;
    case ErrorCode::kUnavailable:
    case ErrorCode::kSealed:
      return kExitUnreachable;
    default:
      return kExitError;
  }
}

int Report(const Error& error) {
  PrintError(error.message, error.hint);
  return ExitCodeFor(error.code);
}

Result<std::filesystem::path> BackupDirectory(const Globals& globals) {
  PathOptions options;
  if (!globals.home.empty()) options.home = globals.home;
  Result<Paths> paths = ResolvePaths(options);
  if (!paths) return std::unexpected(paths.error());
  return paths->state_dir / "backups";
}

Result<Client> ConnectDaemon(const Globals& globals, std::chrono::milliseconds timeout) {
  PathOptions options;
  if (!globals.home.empty()) options.home = globals.home;
  if (!globals.socket.empty()) options.socket = globals.socket;
  Result<Paths> paths = ResolvePaths(options);
  if (!paths) return std::unexpected(paths.error());
  Result<Client> client = Client::Connect(paths->socket_file, timeout);
  if (!client) return client;
  if (Status trusted = client->CheckServer(); !trusted) return std::unexpected(trusted.error());
  return client;
}

void AddOwnerOption(CLI::App* cmd, std::string* owner) {
  cmd->add_option("--owner", *owner,
                  "root and keywarden-admin: the user (name or uid) whose slots to act on");
}

Result<std::optional<uint32_t>> OwnerUid(const std::string& owner) {
  if (owner.empty()) return std::nullopt;
  uint32_t uid = 0;
  auto [end, ec] = std::from_chars(owner.data(), owner.data() + owner.size(), uid);
  if (ec == std::errc() && end == owner.data() + owner.size()) return uid;
  struct passwd entry{};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwnam_r(owner.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return Fail(ErrorCode::kInvalidArgument, "--owner: no user \"" + owner + "\"",
                "give a user name or a numeric uid");
  }
  return static_cast<uint32_t>(found->pw_uid);
}

namespace {

// The first argument that is neither a global option nor its value: the
// verb, or "" if there is none.
std::string_view VerbOf(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--home" || arg == "--socket") {
      ++i;  // its value
    } else if (!arg.starts_with("-")) {
      return arg;
    } else if (!arg.starts_with("--home=") && !arg.starts_with("--socket=")) {
      return "";  // --help, --version or a mistake: CLI11 sees every verb
    }
  }
  return "";
}

}  // namespace

namespace {
rlimit g_core_limit{RLIM_INFINITY, RLIM_INFINITY};  // as the CLI was started
}  // namespace

void HardenProcess() {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // The soft limit only: a core file is never written, and RestoreCoreLimit
  // can still give a command run by `exec` what it would have had.
  ::getrlimit(RLIMIT_CORE, &g_core_limit);
  rlimit none{0, g_core_limit.rlim_max};
  ::setrlimit(RLIMIT_CORE, &none);
}

void RestoreCoreLimit() { ::setrlimit(RLIMIT_CORE, &g_core_limit); }

int Main(int argc, char** argv) {
  HardenProcess();
  CLI::App app{"keywarden: keeps LLM provider API keys encrypted, verified and rotated"};
  app.require_subcommand(1);
  Globals globals;
  app.add_option("--home", globals.home, "the daemon's home directory")->envname("KEYWARDEN_HOME");
  app.add_option("--socket", globals.socket, "the daemon's socket")->envname("KEYWARDEN_SOCKET");
  app.set_version_flag("--version", "keywarden " + std::string(kProductVersion));

  Runner run;
  // Building a verb's options costs more than connecting to the daemon, and
  // tools run `keywarden get` once per use of a key: only the chosen verb is
  // built when argv names one; help and usage errors get every verb.
  static constexpr std::pair<std::string_view, Registrar> kVerbs[] = {
      {"add", RegisterAdd},
      {"list", RegisterList},
      {"show", RegisterShow},
      {"set", RegisterSet},
      {"get", RegisterGet},
      {"rm", RegisterRemove},
      {"status", RegisterStatus},
      {"providers", RegisterProviders},
      {"events", RegisterEvents},
      {"validate", RegisterValidate},
      {"check", RegisterCheck},
      {"rotate", RegisterRotate},
      {"rollback", RegisterRollback},
      {"revoke", RegisterRevoke},
      {"reminders", RegisterReminders},
      {"unlock", RegisterUnlock},
      {"seal", RegisterSeal},
      {"rekey", RegisterRekey},
      {"export", RegisterExport},
      {"exec", RegisterExec}};
  std::string_view verb = VerbOf(argc, argv);
  auto chosen = std::find_if(std::begin(kVerbs), std::end(kVerbs),
                             [verb](const auto& v) { return v.first == verb; });
  if (chosen != std::end(kVerbs)) {
    chosen->second(app, globals, &run);
  } else {
    for (const auto& [name, registrar] : kVerbs) registrar(app, globals, &run);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    if (!message.empty() && std::isupper(static_cast<unsigned char>(message[0]))) {
      message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
    }
    PrintError(message, "run `keywarden --help` or `keywarden COMMAND --help`");
    return kExitUsage;
  }
  if (!run) return kExitUsage;
  try {
    return run();
  } catch (const Json::exception&) {
    // The last line of defence: every verb checks its reply's shape first.
    return ReportUnexpectedReply();
  }
}

}  // namespace keywarden::cli
