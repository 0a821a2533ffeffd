// keywarden export ENV/NAME --to TARGET [--model M] [--path FILE] [--dry-run]
//                  [--via gateway [--token NAME]]:
// puts a usable slot's key where a coding tool reads it (docs/export.md).
// The daemon hands over the secret; the CLI writes, as the user. Via the
// gateway, the tool gets the gateway's URL and a new token instead, and the
// key never leaves the daemon (docs/gateway.md "Set-up per tool"). Each
// target lives in export/.
#include <fmt/format.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>

#include "command.h"
#include "copies.h"
#include "export/atomic_file.h"
#include "export/fetch.h"
#include "export/preview.h"
#include "export/target.h"
#include "keywarden/slot.h"
#include "output.h"
#include "token.h"

namespace keywarden::cli {
namespace {

namespace ex = exporting;

struct ExportOptions {
  std::string ref, to, model, path, via, token;
  bool dry_run = false, json = false;
};

// What a dry run shows in place of a token it does not create: masked like
// any secret in the preview.
constexpr std::string_view kDryRunToken = "kwt_-dry-run-no-token-is-created-by-a-dry-run-";

// --via gateway: the slot's facts with the gateway's URL, and the token
// the tool is to send (none made on a dry run). The token is named
// --token, else TARGET-ENV; a name in use is refused (its text cannot be
// shown again), never replaced: replacing it would cut off every tool
// that already sends it.
Result<ex::Slot> GatewaySlot(Client& client, const ExportOptions& o, std::string* token_name) {
  bool usable = false;
  Result<ex::Slot> slot = ex::FetchGatewaySlot(client, o.ref, &usable);
  if (!slot) return slot;
  if (!usable) {
    PrintWarning(
        fmt::format("{} is not usable now; the gateway answers 403 until it is "
                    "(`keywarden show {}`)",
                    slot->ref, slot->ref));
  }
  *token_name = o.token.empty() ? fmt::format("{}-{}", o.to, slot->env) : o.token;
  if (o.dry_run) {
    slot->secret = SecretBuffer::Copy(kDryRunToken);
    return slot;
  }
  AddTokenParams params{.name = *token_name, .env = slot->env, .slots = {slot->name}};
  Result<AddTokenResult> added = CreateToken(client, params);
  if (!added) {
    if (added.error().code != ErrorCode::kAlreadyExists) return std::unexpected(added.error());
    return Fail(
        ErrorCode::kAlreadyExists,
        fmt::format("token {} exists already, and its text cannot be shown again", *token_name),
        fmt::format("name a new one with --token NAME, or `keywarden token rm {}` "
                    "(tools sending it stop working) and export again",
                    *token_name));
  }
  slot->secret = std::move(added->token);
  return slot;
}

// Removes the token an export made unless the export went through: a
// failed export leaves no token behind.
class TokenUndo {
 public:
  TokenUndo(Client& client, std::string name) : client_(client), name_(std::move(name)) {}
  TokenUndo(const TokenUndo&) = delete;
  TokenUndo& operator=(const TokenUndo&) = delete;
  ~TokenUndo() {
    if (!name_.empty()) (void)CallTyped(client_, RemoveTokenParams{name_});
  }
  void Keep() { name_.clear(); }

 private:
  Client& client_;
  std::string name_;
};

std::string_view OutcomeName(ex::WriteOutcome outcome) {
  switch (outcome) {
    case ex::WriteOutcome::kCreated:
      return "created";
    case ex::WriteOutcome::kReplaced:
      return "replaced";
    case ex::WriteOutcome::kUnchanged:
      return "unchanged";
  }
  return "unchanged";
}

std::string TargetNames() {
  std::string names;
  for (const ex::Target& target : ex::Targets()) {
    names += names.empty() ? "" : ", ";
    names += target.name;
  }
  return names;
}

// The running binary, so a helper command works whatever PATH the tool has.
std::string SelfPath() {
  char buffer[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof(buffer));
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string("keywarden");
}

// `keywarden [--home H] [--socket S] get REF`, reaching the same daemon as this run.
std::vector<std::string> GetCommand(const Globals& globals, const std::string& ref) {
  std::vector<std::string> argv = {SelfPath()};
  if (!globals.home.empty())
    argv.insert(argv.end(), {"--home", std::filesystem::absolute(globals.home)});
  if (!globals.socket.empty()) {
    argv.insert(argv.end(), {"--socket", std::filesystem::absolute(globals.socket)});
  }
  argv.insert(argv.end(), {"get", ref});
  return argv;
}

void ReportWrite(const ex::FileChange& change, ex::WriteOutcome outcome,
                 const std::filesystem::path& backup_dir) {
  std::string path = change.path.string();
  switch (outcome) {
    case ex::WriteOutcome::kCreated:
      std::cerr << "keywarden: created " << path << "\n";
      break;
    case ex::WriteOutcome::kReplaced:
      // The backup is of the file really replaced (a symlink's target).
      std::cerr << "keywarden: updated " << path << " (previous: "
                << ex::BackupPath(ex::ReplacedFile(change.path), backup_dir).string() << ")\n";
      break;
    case ex::WriteOutcome::kUnchanged:
      std::cerr << "keywarden: " << path << " is up to date\n";
      break;
  }
}

int RunExport(const ExportOptions& o, const Globals& globals) {
  const ex::Target* target = ex::FindTarget(o.to);
  if (target == nullptr) {
    PrintError(fmt::format("--to: unknown target \"{}\"", o.to), "targets: " + TargetNames());
    return kExitUsage;
  }
  const bool json = o.json || globals.json;
  // The shell target's output is the shell text that sets the key: not
  // JSON, and not to be copied into it.
  if (json && !o.dry_run && o.to == "shell") {
    PrintError("--json does not go with --to shell, whose output is the shell text",
               "drop --json, or add --dry-run for a JSON preview");
    return kExitUsage;
  }
  const bool via_gateway = !o.via.empty();
  if (via_gateway && o.via != "gateway") {
    PrintError(fmt::format("--via: unknown route \"{}\"", o.via), "the one route is: gateway");
    return kExitUsage;
  }
  if (!o.token.empty() && !via_gateway) {
    PrintError("--token goes with --via gateway", "add --via gateway, or drop --token");
    return kExitUsage;
  }
  if (!o.token.empty() && !IsValidRefPart(o.token)) {
    PrintError(fmt::format("--token: invalid token name \"{}\"", o.token),
               "a token name is 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit");
    return kExitUsage;
  }
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  std::string token_name;
  Result<ex::Slot> slot =
      via_gateway ? GatewaySlot(*client, o, &token_name) : ex::FetchSlot(*client, o.ref, "export");
  if (!slot) return Report(slot.error());
  TokenUndo undo(*client, via_gateway && !o.dry_run ? token_name : std::string());

  Result<std::filesystem::path> backup_dir = BackupDirectory(globals);
  if (!backup_dir) return Report(backup_dir.error());
  ex::Request request{.slot = &*slot,
                      .model = o.model,
                      .path = o.path,
                      .get_command = GetCommand(globals, slot->ref),
                      .backup_dir = *backup_dir,
                      .via_gateway = via_gateway};
  if (request.model.empty() && !slot->models.empty()) request.model = slot->models.front();
  if (request.model.empty()) {
    PrintError(slot->ref + " names no model", "pass --model");
    return kExitUsage;
  }
  if (std::find(slot->models.begin(), slot->models.end(), request.model) == slot->models.end()) {
    PrintWarning(
        fmt::format("{} was not verified for {}; `keywarden show {}` lists the models that were",
                    request.model, slot->ref, slot->ref));
  }
  Result<ex::Plan> plan = target->plan(request);
  if (!plan) return Report(plan.error());
  for (const std::string& warning : plan->warnings) PrintWarning(warning);

  const std::string_view secret = slot->secret.view();
  Json report = {{"ref", slot->ref},       {"target", std::string(target->name)},
                 {"model", request.model}, {"dry_run", o.dry_run},
                 {"files", Json::array()}, {"notes", plan->notes}};
  if (via_gateway) {
    report["via"] = "gateway";
    report["base_url"] = slot->base_url;
    report["token"] = token_name;
  }
  if (o.dry_run && json) {
    for (const ex::FileChange& change : plan->files) {
      report["files"].push_back({{"path", change.path.string()},
                                 {"exists", change.before.has_value()},
                                 {"changed", change.before != change.after},
                                 {"preview", ex::DescribeChange(change, secret)}});
    }
    report["output"] = ex::MaskSecrets(plan->stdout_text, secret);
    PrintJson(report);
    return kExitOk;
  }
  if (o.dry_run) {
    for (const ex::FileChange& change : plan->files)
      std::cout << ex::DescribeChange(change, secret);
    std::cout << ex::MaskSecrets(plan->stdout_text, secret) << std::flush;
    return kExitOk;
  }
  // Files holding the secret come first, so a config never points at a
  // secret that is not there yet.
  for (const ex::FileChange& change : plan->files) {
    Result<ex::WriteOutcome> written = ex::WriteAtomically(
        change.path, change.after, {.secret = change.secret, .backup_dir = *backup_dir});
    if (!written) return Report(written.error());
    ReportWrite(change, *written, *backup_dir);
    const bool replaced = *written == ex::WriteOutcome::kReplaced;
    report["files"].push_back(
        {{"path", change.path.string()},
         {"outcome", OutcomeName(*written)},
         {"changed", *written != ex::WriteOutcome::kUnchanged},
         {"backup", replaced
                        ? Json(ex::BackupPath(ex::ReplacedFile(change.path), *backup_dir).string())
                        : Json(nullptr)}});
    // A backup an earlier version left in the file's own directory (a
    // project tree, where .gitignore may not cover it) moves out.
    Result<std::optional<std::filesystem::path>> moved =
        ex::MoveOldBackup(change.path, *backup_dir);
    if (!moved) return Report(moved.error());
    if (*moved) {
      std::cerr << "keywarden: moved the old backup " << ex::ReplacedFile(change.path).string()
                << ".keywarden.bak to " << (*moved)->string() << "\n";
    }
  }
  // Each file that now holds the key is a copy the daemon follows
  // (docs/copies.md); a failure to record it is a warning. A file written
  // via the gateway holds a token, not a key: no copy.
  if (!via_gateway) RecordCopies(*client, *slot, target->name, request.model, plan->files);
  undo.Keep();
  if (json) {
    PrintJson(report);
    return kExitOk;
  }
  if (!WriteStdout(plan->stdout_text)) {
    return Report(Error{ErrorCode::kIo, "cannot write to standard output", ""});
  }
  for (const std::string& note : plan->notes) PrintHint(note);
  if (via_gateway) {
    PrintHint(
        fmt::format("the tool sends token {} to {}; a rotation of {} reaches it with no "
                    "new export",
                    token_name, slot->base_url, slot->ref));
  }
  return kExitOk;
}

}  // namespace

void RegisterExport(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand("export", "write a verified key into a coding tool's config");
  cmd->add_option("ref", o->ref, "ENV/NAME")->required()->check(RefSyntax());
  cmd->add_option("--to", o->to, "target: " + TargetNames())->required();
  cmd->add_option("--model", o->model, "the model to select (default: the slot's first model)");
  cmd->add_option("--path", o->path, "the file to write instead of the tool's default");
  cmd->add_flag("--dry-run", o->dry_run, "print the change, secret masked, and write nothing");
  cmd->add_option("--via", o->via,
                  "gateway: write the gateway's URL and a new token instead of the key");
  cmd->add_option("--token", o->token,
                  "with --via gateway: the new token's name (default: TARGET-ENV)");
  cmd->add_flag("--json", o->json,
                "print the files written (or, with --dry-run, the preview) as JSON");
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunExport(*o, globals); }; });
}

}  // namespace keywarden::cli
