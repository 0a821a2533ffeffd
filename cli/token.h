// Gateway tokens from the CLI's side: what `keywarden token add` and
// `keywarden export --via gateway` share.
#pragma once

#include "keywarden/client.h"
#include "keywarden/messages_tokens.h"

namespace keywarden::cli {

// Calls token.add; the token's text moves straight from the reply into
// the result's SecretBuffer, never into a Json value or a std::string.
Result<AddTokenResult> CreateToken(Client& client, const AddTokenParams& params);

}  // namespace keywarden::cli
