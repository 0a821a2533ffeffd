// The typed messages of the daemon protocol (docs/protocol.md "Methods"):
// one params struct and one result struct per method, in one header per
// area:
//   messages_status.h    status, providers.list, events.list
//   messages_slots.h     slot.add, slot.list, slot.show, slot.get, slot.rm,
//                        slot.validate, key.check
//   messages_rotation.h  slot.rotate, slot.rollback, slot.revoke,
//                        reminders.list
//   messages_vault.h     unlock, seal, rekey
//   messages_copies.h    copy.record, copy.list, copy.forget, key.identify
// Each params struct names its method (`kMethod`), the params it takes
// (`kFields`) and its result type (`Reply`). For every struct X there is
//   Status Decode(Json& params, XParams* out)        (the daemon's side)
//   Status Decode(const Json& result, XResult* out)  (the client's side)
//   Json Encode(const X&)
// Decoding never throws and fails with kInvalidArgument naming the member
// by its path ("params.models[2]: expected a string", "params.owner:
// expected a uid"); a params object with a member its method does not take
// is refused the same way ("params.NAME: unknown field"). Members a
// message may grow in a later version are ignored by result decoders, so a
// newer daemon's reply still decodes. Secrets (and passphrases) are never
// in a Json copy: the params decoder moves them into SecretBuffers and
// wipes the JSON string; Encode leaves them out, and SecretsOf lists them
// for EncodeSecretRequest.
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "keywarden/protocol.h"
#include "keywarden/secret_json.h"
#include "keywarden/status.h"

namespace keywarden {

// params.<name>: unknown field (or "params: an unknown field" for a name not
// fit to echo), for the first member of `params` not in `fields`; the hint
// lists what `method` takes.
Status CheckParamNames(const Json& params, std::string_view method,
                       std::span<const std::string_view> fields);

// UnexpectedReply() with `detail` (a decoder's message) in parentheses:
// "unexpected reply from the daemon (slot: expected an object)".
Error UnexpectedReply(std::string_view detail);

// The params of `P`'s method, checked; kInvalidArgument naming the first
// bad member.
template <class P>
Result<P> DecodeParams(Json& params) {
  P out;
  if (Status ok = Decode(params, &out); !ok) return std::unexpected(ok.error());
  return out;
}

// A reply's result as `R`; UnexpectedReply(detail) when it is not of R's
// shape.
template <class R>
Result<R> DecodeResult(const Json& result) {
  R out;
  if (Status ok = Decode(result, &out); !ok) {
    return std::unexpected(UnexpectedReply(ok.error().message));
  }
  return out;
}

}  // namespace keywarden
