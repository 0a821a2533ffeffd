// keywarden unlock: opens a passphrase-mode daemon. The passphrase comes
// from a no-echo prompt or stdin. On a daemon with no passphrase yet the
// first unlock chooses it (typed twice on a terminal).
#include <iostream>
#include <memory>

#include "command.h"
#include "passphrase.h"
#include "secret_input.h"

namespace keywarden::cli {
namespace {

// Argon2id takes a fraction of a second, twice when the stored parameters
// are raised; a loaded host may take longer.
constexpr std::chrono::seconds kKdfTimeout{60};

int RunUnlock(const Globals& globals, bool json) {
  Result<Client> client = ConnectDaemon(globals, kKdfTimeout);
  if (!client) return Report(client.error());
  Result<SecretBuffer> passphrase = ReadSecret("Passphrase for keywardend: ");
  if (!passphrase) return Report(passphrase.error());
  UnlockParams params{std::move(*passphrase), false};
  Result<UnlockResult> result = CallTyped(*client, params);
  if (!result && result.error().code == ErrorCode::kNotFound) {
    // No passphrase yet: this one becomes it, once confirmed on a terminal.
    if (PromptsOnTerminal()) {
      std::cerr << "keywardend has no passphrase yet; the one you typed becomes it.\n";
      Result<SecretBuffer> again = ReadSecret("Repeat the new passphrase: ");
      if (!again) return Report(again.error());
      if (!again->Equals(params.passphrase)) {
        return Report({ErrorCode::kInvalidArgument, "the two passphrases differ",
                       "run `keywarden unlock` again"});
      }
    }
    params.create = true;
    result = CallTyped(*client, params);
  }
  if (!result) return Report(result.error());
  if (json) {
    PrintJson({{"unlocked", !result->sealed},
               {"created", result->created},
               {"already", result->already},
               {"upgraded", result->upgraded}});
  } else if (result->created) {
    std::cout << "passphrase set; keywardend is unlocked\n";
  } else if (result->already) {
    std::cout << "keywardend is already unlocked\n";
  } else {
    std::cout << "keywardend is unlocked\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterUnlock(CLI::App& app, const Globals& globals, Runner* run) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "unlock", "unseal a passphrase-mode daemon (passphrase from stdin or a hidden prompt)");
  cmd->add_flag("--json", *json, "print {unlocked, created, already, upgraded}");
  cmd->callback([json, &globals, run] {
    *run = [json, &globals] { return RunUnlock(globals, *json || globals.json); };
  });
}

}  // namespace keywarden::cli
