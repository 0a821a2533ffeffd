// keywarden seal: a passphrase-mode daemon forgets its keys until the next
// `keywarden unlock`.
#include <iostream>

#include "command.h"

namespace keywarden::cli {
namespace {

int RunSeal(const Globals& globals) {
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  Result<SealResult> result = CallTyped(*client, SealParams{});
  if (!result && result.error().code == ErrorCode::kSealed) {
    std::cout << "keywardend is already sealed\n";
    return kExitOk;
  }
  if (!result) return Report(result.error());
  std::cout << "keywardend is sealed; `keywarden unlock` opens it again\n";
  return kExitOk;
}

}  // namespace

void RegisterSeal(CLI::App& app, const Globals& globals, Runner* run) {
  CLI::App* cmd = app.add_subcommand("seal", "make a passphrase-mode daemon forget its keys");
  cmd->callback([&globals, run] { *run = [&globals] { return RunSeal(globals); }; });
}

}  // namespace keywarden::cli
