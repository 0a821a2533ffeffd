// Typed calls to the daemon. A reply is decoded with the protocol's own
// decoders (keywarden/messages*.h); one that is well-formed JSON but not of
// the shape its method promises (docs/protocol.md) is reported as
// "unexpected reply from the daemon (<member>: …)" (exit 1), never thrown
// on: the socket may be served by a daemon of another version, or by
// anything.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "keywarden/client.h"
#include "keywarden/messages_copies.h"
#include "keywarden/messages_rotation.h"
#include "keywarden/messages_slots.h"
#include "keywarden/messages_status.h"
#include "keywarden/messages_tokens.h"
#include "keywarden/messages_vault.h"
#include "keywarden/secret_json.h"

namespace keywarden::cli {

// Calls P's method with `params` (its secrets, if any, never in a Json
// copy) and decodes the result. `*raw`, when given, gets the result as it
// came: what --json prints, members this CLI does not know included.
template <class P>
Result<typename P::Reply> CallTyped(Client& client, const P& params, Json* raw = nullptr) {
  std::vector<SecretParam> secrets;
  if constexpr (requires { SecretsOf(params); }) secrets = SecretsOf(params);
  Result<Json> result = client.Call(P::kMethod, Encode(params), secrets);
  if (!result) return std::unexpected(result.error());
  Result<typename P::Reply> typed = DecodeResult<typename P::Reply>(*result);
  if (typed && raw != nullptr) *raw = std::move(*result);
  return typed;
}

// Member `key` of `object`; null when `object` is no object or lacks it.
// For the slot object, which travels as Json (keywarden/messages_slots.h).
const Json& Member(const Json& object, std::string_view key);
// A string as is, null as `fallback`, anything else as its JSON text.
std::string Text(const Json& value, std::string_view fallback = "-");

// Prints UnexpectedReply() and returns its exit code (1).
int ReportUnexpectedReply();

}  // namespace keywarden::cli
