// keywarden seal: a passphrase-mode daemon forgets its keys until the next
// `keywarden unlock`.
#include <iostream>
#include <memory>

#include "command.h"

namespace keywarden::cli {
namespace {

int RunSeal(const Globals& globals, bool json) {
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  Result<SealResult> result = CallTyped(*client, SealParams{});
  const bool already = !result && result.error().code == ErrorCode::kSealed;
  if (!result && !already) return Report(result.error());
  if (json) {
    PrintJson({{"sealed", true}, {"already", already}});
  } else if (already) {
    std::cout << "keywardend is already sealed\n";
  } else {
    std::cout << "keywardend is sealed; `keywarden unlock` opens it again\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterSeal(CLI::App& app, const Globals& globals, Runner* run) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("seal", "make a passphrase-mode daemon forget its keys");
  cmd->add_flag("--json", *json, "print {sealed, already}");
  cmd->callback([json, &globals, run] {
    *run = [json, &globals] { return RunSeal(globals, *json || globals.json); };
  });
}

}  // namespace keywarden::cli
