// keywarden rekey: moves the data key to a new master key. Passphrase mode
// asks for the current and the new passphrase (on a terminal; from stdin,
// two lines: current, then new); file mode needs nothing and writes a new
// master key file.
#include <iostream>
#include <memory>

#include "command.h"
#include "passphrase.h"
#include "secret_input.h"

namespace keywarden::cli {
namespace {

constexpr std::chrono::seconds kKdfTimeout{60};

// The current and new passphrase, from two prompts or two stdin lines.
Result<std::pair<SecretBuffer, SecretBuffer>> ReadPassphrases() {
  if (PromptsOnTerminal()) {
    Result<SecretBuffer> current = ReadSecret("Current passphrase: ");
    if (!current) return std::unexpected(current.error());
    Result<SecretBuffer> next = ReadNewPassphrase("New passphrase: ");
    if (!next) return std::unexpected(next.error());
    return std::pair(std::move(*current), std::move(*next));
  }
  Result<SecretBuffer> both = ReadSecret("");
  if (!both) return std::unexpected(both.error());
  std::string_view text = both->view();
  size_t newline = text.find('\n');
  if (newline == std::string_view::npos || newline == 0 || newline + 1 == text.size()) {
    return Fail(
        ErrorCode::kInvalidArgument,
        "rekey reads two lines from standard input: the current passphrase, then the new one");
  }
  return std::pair(SecretBuffer::Copy(text.substr(0, newline)),
                   SecretBuffer::Copy(text.substr(newline + 1)));
}

int RunRekey(const Globals& globals, bool json) {
  Result<Client> client = ConnectDaemon(globals, kKdfTimeout);
  if (!client) return Report(client.error());
  Result<StatusResult> status = CallTyped(*client, StatusParams{});
  if (!status) return Report(status.error());
  if (status->master_key != "passphrase") {
    Result<RekeyResult> result = CallTyped(*client, RekeyParams{});
    if (!result) return Report(result.error());
    // File mode names the new file.
    if (!result->file) return Report(UnexpectedReply("result.file: expected a string"));
    if (json) {
      PrintJson({{"rekeyed", true}, {"master_key", result->master_key}, {"file", *result->file}});
    } else {
      std::cout << "rekeyed: new master key in " << *result->file << "\n";
    }
    return kExitOk;
  }
  auto passphrases = ReadPassphrases();
  if (!passphrases) return Report(passphrases.error());
  Result<RekeyResult> result = CallTyped(
      *client, RekeyParams{std::move(passphrases->first), std::move(passphrases->second)});
  if (!result) return Report(result.error());
  if (json) {
    PrintJson({{"rekeyed", true}, {"master_key", result->master_key}, {"file", nullptr}});
  } else {
    std::cout << "rekeyed: the new passphrase unlocks keywardend from now on\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterRekey(CLI::App& app, const Globals& globals, Runner* run) {
  CLI::App* cmd = app.add_subcommand(
      "rekey", "move to a new master key (a new passphrase, or a new master key file)");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "print {rekeyed, master_key, file}");
  cmd->callback([json, &globals, run] {
    *run = [json, &globals] { return RunRekey(globals, *json || globals.json); };
  });
}

}  // namespace keywarden::cli
