#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "command.h"
#include "keywarden/config.h"
#include "keywarden/paths.h"
#include "keywarden/slot.h"
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
                  "root and keywarden-admin: the user (name or uid) whose slots to act on")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            Result<std::optional<uint32_t>> uid = OwnerUid(text);
            if (uid) return "";
            std::string message = uid.error().message;  // CLI11 names the option
            if (message.starts_with("--owner: ")) message.erase(0, 9);
            return message + "; " + uid.error().hint;
          },
          "USER"));
}

CLI::Validator RefSyntax(bool list) {
  return CLI::Validator(
      [list](std::string& text) -> std::string {
        std::string_view rest = text;
        do {
          size_t comma = list ? rest.find(',') : std::string_view::npos;
          std::string_view one = rest.substr(0, comma);
          rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
          if (one.empty() && list) continue;
          // A bare NAME is in the daemon's default environment, which only
          // the daemon knows: any valid placeholder checks the name.
          Result<SlotRef> ref = SlotRef::Parse(one, "default");
          if (!ref) {
            return "\"" + std::string(one) + "\": " + ref.error().message +
                   " (a slot is ENV/NAME, e.g. dev/openrouter)";
          }
        } while (!rest.empty());
        return "";
      },
      "");
}

CLI::Validator DurationSyntax() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return ParseDuration(text) ? "" : "expected a duration like 90s, 5m, 24h or 7d";
      },
      "DURATION");
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

// The index of the first argument from `from` on that is neither a global
// option nor its value: the verb (or help's topic); 0 if there is none, or
// if another option comes first (--help, --version or a mistake: then
// CLI11 sees every verb).
size_t VerbAt(const std::vector<std::string>& args, size_t from = 1) {
  for (size_t i = from; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--home" || arg == "--socket") {
      ++i;  // its value
    } else if (!arg.starts_with("-")) {
      return i;
    } else if (arg != "--json" && !arg.starts_with("--home=") && !arg.starts_with("--socket=")) {
      return 0;
    }
  }
  return 0;
}

// Optimal string alignment distance: insertions, deletions, substitutions
// and swaps of neighbours each count one.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// Other names of verbs, registered as CLI11 aliases by the verbs.
constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
    {"ls", "list"}, {"remove", "rm"}, {"delete", "rm"}};

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
  // Options a verb does not know go to the main app: the globals work
  // after the verb too. Verbs inherit this.
  app.fallthrough();
  app.footer(
      "Global options go before or after the command. Aliases: ls = list, remove and delete = "
      "rm.\nExit codes: 0 ok, 1 error, 2 usage, 3 slot not usable, 4 not found, 5 daemon "
      "unreachable or sealed.");
  Globals globals;
  app.add_option("--home", globals.home, "the daemon's home directory")->envname("KEYWARDEN_HOME");
  app.add_option("--socket", globals.socket, "the daemon's socket")->envname("KEYWARDEN_SOCKET");
  app.add_flag("--json", globals.json,
               "print JSON on stdout: every command that prints data or changes state");
  app.set_version_flag("--version", "keywarden " + std::string(kProductVersion));
  // `keywarden help [VERB]` is `keywarden [VERB] --help`; listed here, and
  // rewritten below before CLI11 sees it.
  app.add_subcommand("help", "show the help of keywarden, or of one command: help [COMMAND]")
      ->allow_extras();

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
      {"exec", RegisterExec},
      {"copies", RegisterCopies},
      {"sync", RegisterSync},
      {"scan", RegisterScan},
      {"import", RegisterImport},
      {"token", RegisterToken}};
  std::vector<std::string> args(argv, argv + argc);
  size_t at = VerbAt(args);
  if (at != 0 && args[at] == "help") {
    const size_t topic = VerbAt(args, at + 1);
    if (topic != 0) {
      args[at] = args[topic];
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(topic));
    } else {
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(at));
      at = 0;
    }
    args.push_back("--help");
  }
  std::string_view verb = at != 0 ? std::string_view(args[at]) : std::string_view();
  for (const auto& [alias, name] : kAliases) {
    if (verb == alias) verb = name;
  }
  auto chosen = std::find_if(std::begin(kVerbs), std::end(kVerbs),
                             [verb](const auto& v) { return v.first == verb; });
  if (chosen != std::end(kVerbs)) {
    chosen->second(app, globals, &run);
  } else if (!verb.empty() && verb != "help") {
    std::string_view best;
    size_t best_distance = 3;  // suggest only within two edits
    auto consider = [&](std::string_view name) {
      const size_t distance = EditDistance(verb, name);
      if (distance < best_distance && distance < name.size()) {
        best = name;
        best_distance = distance;
      }
    };
    for (const auto& entry : kVerbs) consider(entry.first);
    for (const auto& entry : kAliases) consider(entry.first);
    consider("help");
    PrintError("unknown command \"" + std::string(verb) + "\"",
               best.empty() ? "run `keywarden help` for the list of commands"
                            : "did you mean `" + std::string(best) + "`?");
    return kExitUsage;
  } else {
    for (const auto& [name, registrar] : kVerbs) registrar(app, globals, &run);
  }
  try {
    std::vector<const char*> c_args;
    for (const std::string& arg : args) c_args.push_back(arg.c_str());
    app.parse(static_cast<int>(c_args.size()), c_args.data());
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
