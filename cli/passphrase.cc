#include "passphrase.h"

#include <unistd.h>

#include "secret_input.h"

namespace keywarden::cli {

bool PromptsOnTerminal() { return ::isatty(STDIN_FILENO) != 0; }

Result<SecretBuffer> ReadNewPassphrase(std::string_view prompt) {
  Result<SecretBuffer> first = ReadSecret(prompt);
  if (!first || !PromptsOnTerminal()) return first;
  Result<SecretBuffer> again = ReadSecret("Repeat the new passphrase: ");
  if (!again) return again;
  if (!first->Equals(*again)) {
    return Fail(ErrorCode::kInvalidArgument, "the two passphrases differ", "run the command again");
  }
  return first;
}

Result<Json> CallWithPassphrases(
    Client& client, std::string_view method, Json params,
    const std::vector<std::pair<std::string, const SecretBuffer*>>& passphrases) {
  std::vector<SecretParam> secrets;
  for (const auto& [name, passphrase] : passphrases) secrets.push_back({name, passphrase->view()});
  return client.Call(method, params, secrets);
}

}  // namespace keywarden::cli
