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
  for (const auto& [name, passphrase] : passphrases) params[name] = std::string(passphrase->view());
  Result<Json> result = client.Call(method, params);
  for (const auto& [name, passphrase] : passphrases) Wipe(params[name].get_ref<std::string&>());
  return result;
}

}  // namespace keywarden::cli
