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

}  // namespace keywarden::cli
