// keywarden exec ENV/NAME[,ENV/NAME…] -- CMD [ARG…]: runs CMD with each
// slot's provider variable (slot.get's env_var: OPENROUTER_API_KEY,
// MISTRAL_API_KEY, …) set to its current secret. The secrets go only into
// the environment handed to execvpe, never into this process's own, and
// nothing else in the environment changes. CMD replaces this process, so
// its exit status is the command's.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "command.h"
#include "export/fetch.h"
#include "output.h"

extern char** environ;

namespace keywarden::cli {
namespace {

struct ExecOptions {
  std::string refs;
  std::vector<std::string> command;
};

std::vector<std::string> SplitRefs(const std::string& text) {
  std::vector<std::string> refs;
  for (size_t pos = 0; pos <= text.size();) {
    size_t comma = std::min(text.find(',', pos), text.size());
    if (comma > pos) refs.push_back(text.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return refs;
}

// Appends NAME=secret for each slot to *assignments, refusing two slots that
// set the same variable. Returns 0, or the exit code after reporting why.
int CollectVariables(const Globals& globals, const std::vector<std::string>& refs,
                     std::vector<std::string>* assignments) {
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  std::vector<std::pair<std::string, std::string>> owners;  // variable, ref
  for (const std::string& ref : refs) {
    Result<exporting::Slot> slot = exporting::FetchSlot(*client, ref, "exec");
    if (!slot) return Report(slot.error());
    if (slot->env_var.empty()) {
      PrintError(
          fmt::format("{} ({}) has no environment variable to set", slot->ref, slot->provider));
      return kExitError;
    }
    for (const auto& [variable, owner] : owners) {
      if (variable == slot->env_var) {
        PrintError(fmt::format("{} and {} would both set {}", owner, slot->ref, variable),
                   "run one of them per `keywarden exec`");
        return kExitUsage;
      }
    }
    owners.emplace_back(slot->env_var, slot->ref);
    // Built in place: a temporary holding the secret would be freed unwiped.
    std::string& assignment = assignments->emplace_back();
    assignment.reserve(slot->env_var.size() + 1 + slot->secret.size());
    assignment.append(slot->env_var).append("=").append(slot->secret.view());
  }
  return kExitOk;
}

int RunExec(const ExecOptions& o, const Globals& globals) {
  std::vector<std::string> refs = SplitRefs(o.refs);
  if (refs.empty() || o.command.empty()) {
    PrintError("expected ENV/NAME[,ENV/NAME…] -- CMD [ARG…]");
    return kExitUsage;
  }
  std::vector<std::string> assignments;
  if (int code = CollectVariables(globals, refs, &assignments); code != kExitOk) {
    for (std::string& assignment : assignments) Wipe(assignment);
    return code;
  }

  // The environment as it is, less the variables being replaced.
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    bool replaced = false;
    for (const std::string& assignment : assignments) {
      std::string_view name = std::string_view(assignment).substr(0, assignment.find('=') + 1);
      replaced = replaced || text.starts_with(name);
    }
    if (!replaced) env.emplace_back(text);
  }
  env.insert(env.end(), assignments.begin(), assignments.end());
  std::vector<char*> envp, argv;
  for (std::string& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> command = o.command;
  for (std::string& word : command) argv.push_back(word.data());
  argv.push_back(nullptr);

  RestoreCoreLimit();  // CMD runs as it would have without keywarden
  ::execvpe(argv[0], argv.data(), envp.data());
  int err = errno;
  for (std::string& entry : env) Wipe(entry);
  for (std::string& assignment : assignments) Wipe(assignment);
  PrintError(fmt::format("cannot run {}: {}", o.command.front(), std::strerror(err)));
  return err == ENOENT ? 127 : 126;  // as the shell and env(1) report it
}

}  // namespace

void RegisterExec(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<ExecOptions>();
  CLI::App* cmd =
      app.add_subcommand("exec", "run a command with the slots' keys in its environment");
  cmd->add_option("refs", o->refs, "ENV/NAME[,ENV/NAME…]")->required()->check(RefSyntax(true));
  cmd->add_option("command", o->command, "-- CMD [ARG…]")->required();
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunExec(*o, globals); }; });
}

}  // namespace keywarden::cli
