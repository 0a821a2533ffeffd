// The daemon protocol (docs/protocol.md): newline-delimited JSON over a Unix
// stream socket, one request and one response per line, at most 64 KiB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "keywarden/secret.h"
#include "keywarden/status.h"

namespace keywarden {

using Json = nlohmann::json;

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxLineBytes = 64 * 1024;  // including the newline
inline constexpr int kMaxJsonDepth = 32;

struct Request {
  Json id;  // a number or string chosen by the client; echoed back
  std::string method;
  Json params = Json::object();
};

// Parses one line (without its newline). On failure returns kProtocol and,
// when the line carried a usable id, stores it in `*id_out` for the reply.
// Rejects: non-JSON, nesting deeper than kMaxJsonDepth, a missing or other
// "v", a non-string method, params that are not an object.
Result<Request> ParseRequest(std::string_view line, Json* id_out);

// Encoders; each returns one line ending in '\n'.
std::string EncodeRequest(const Json& id, std::string_view method, const Json& params);
std::string EncodeResult(const Json& id, const Json& result);
// EncodeResult's line for a result written as JSON text (one value, as
// Json::dump writes it), in pieces: ResultLineStart(id), the result's text,
// ResultLineEnd(). A large list is never built as a Json tree, nor as one
// string.
std::string ResultLineStart(const Json& id);
std::string_view ResultLineEnd();
std::string EncodeError(const Json& id, const Error& error);

// A string param that holds a secret: its name and its bytes.
struct SecretParam {
  std::string_view name;
  std::string_view value;
};
// EncodeRequest's line with `secrets` added to `params` (an object naming
// none of them), built in a SecretBuffer so that no copy of a secret is
// left in freed memory. kInvalidArgument when a secret is not valid UTF-8,
// which JSON cannot carry.
Result<SecretBuffer> EncodeSecretRequest(const Json& id, std::string_view method,
                                         const Json& params,
                                         const std::vector<SecretParam>& secrets);

// Parses a response line. Returns the result, or the Error it carries
// (unknown codes map to kInternal), or kProtocol if the line is malformed or
// its id is not `expected_id`.
Result<Json> ParseResponse(std::string_view line, const Json& expected_id);
// Like ParseResponse, but returns the text of result.<member> inside
// `line`, unparsed (keywarden/json_text.h): for answers too large for a
// Json tree. kProtocol when the result has no such member.
Result<std::string_view> ResponseMemberText(std::string_view line, const Json& expected_id,
                                            std::string_view member);

// Like ParseResponse for a result carrying a "secret" string: the secret is
// unescaped straight into a SecretBuffer, and the rest of the result (no
// Json tree ever holds the secret) goes to `*rest` when given. kProtocol
// when the result is no object or its "secret" is no string.
Result<SecretBuffer> ParseSecretResponse(std::string_view line, const Json& expected_id,
                                         Json* rest);

// kProtocol "unexpected reply from the daemon": a reply that is well-formed
// JSON but not of the shape its method promises (a member missing or of
// another type). `detail` is for logs and tests, and is not shown.
Error UnexpectedReply();

// Typed access to params that never throws: kInvalidArgument naming `key`.
Result<std::string> GetString(const Json& params, std::string_view key);
Result<std::optional<std::string>> GetOptionalString(const Json& params, std::string_view key);
// false when absent or null.
Result<bool> GetOptionalBool(const Json& params, std::string_view key);
Result<std::vector<std::string>> GetStringList(const Json& params, std::string_view key);

// Parses text as JSON without exceptions; nullopt for invalid input.
std::optional<Json> ParseJson(std::string_view text);

}  // namespace keywarden
