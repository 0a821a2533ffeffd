// keywarden export ENV/NAME --to TARGET [--model M] [--path FILE] [--dry-run]:
// puts a usable slot's key where a coding tool reads it (DESIGN.md "Export",
// docs/export.md). The daemon hands over the secret; the CLI writes, as the
// user. Each target lives in export/.
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
#include "output.h"

namespace keywarden::cli {
namespace {

namespace ex = exporting;

struct ExportOptions {
  std::string ref, to, model, path;
  bool dry_run = false, json = false;
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

bool WriteStdout(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
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
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  Result<ex::Slot> slot = ex::FetchSlot(*client, o.ref, "export");
  if (!slot) return Report(slot.error());

  Result<std::filesystem::path> backup_dir = BackupDirectory(globals);
  if (!backup_dir) return Report(backup_dir.error());
  ex::Request request{.slot = &*slot,
                      .model = o.model,
                      .path = o.path,
                      .get_command = GetCommand(globals, slot->ref),
                      .backup_dir = *backup_dir};
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
  // (docs/copies.md); a failure to record it is a warning.
  RecordCopies(*client, *slot, target->name, request.model, plan->files);
  if (json) {
    PrintJson(report);
    return kExitOk;
  }
  if (!WriteStdout(plan->stdout_text)) {
    return Report(Error{ErrorCode::kIo, "cannot write to standard output", ""});
  }
  for (const std::string& note : plan->notes) PrintHint(note);
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
  cmd->add_flag("--json", o->json,
                "print the files written (or, with --dry-run, the preview) as JSON");
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunExport(*o, globals); }; });
}

}  // namespace keywarden::cli
