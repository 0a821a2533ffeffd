// The protocol lines that carry a secret (docs/protocol.md "The client's
// side"), built and read without a Json tree or a std::string ever holding
// the secret: nlohmann's dump and parse grow strings whose outgrown buffers
// are freed unwiped.
#pragma once

#include <string_view>
#include <vector>

#include "keywarden/protocol.h"
#include "keywarden/secret.h"

namespace keywarden {

// A string param that holds a secret: its name and its bytes.
struct SecretParam {
  std::string_view name;
  std::string_view value;
};

// EncodeRequest's line with `secrets` added to `params` (an object naming
// none of them), built in a SecretBuffer. kInvalidArgument when a secret is
// not valid UTF-8, which JSON cannot carry.
Result<SecretBuffer> EncodeSecretRequest(const Json& id, std::string_view method,
                                         const Json& params,
                                         const std::vector<SecretParam>& secrets);

// Like ParseResponse for a result carrying a "secret" string: the secret is
// unescaped straight into a SecretBuffer, and the rest of the result goes to
// `*rest` when given. UnexpectedReply() when the result is no object, or
// has no "secret" string or more than one.
Result<SecretBuffer> ParseSecretResponse(std::string_view line, const Json& expected_id,
                                         Json* rest);

// kProtocol "unexpected reply from the daemon": a reply that is well-formed
// JSON but not of the shape its method promises (a member missing or of
// another type, a result that is no object).
Error UnexpectedReply();

}  // namespace keywarden
