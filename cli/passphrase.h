// Passphrases for unlock and rekey: read like secrets (a no-echo prompt or
// stdin, never argv), and sent to the daemon without lingering copies.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keywarden/client.h"
#include "keywarden/secret.h"
#include "keywarden/status.h"

namespace keywarden::cli {

// True when passphrases come from the terminal (and can be confirmed).
bool PromptsOnTerminal();

// A new passphrase: on a terminal, typed twice (kInvalidArgument when the
// two differ); from stdin, taken as given.
Result<SecretBuffer> ReadNewPassphrase(std::string_view prompt);

}  // namespace keywarden::cli
