// The daemon protocol (docs/protocol.md): newline-delimited JSON over a Unix
// stream socket, one request and one response per line, at most 64 KiB.
// This header frames lines; the params and result of each method are typed
// in keywarden/messages.h and the headers it lists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

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

// Parses a response line. Returns the result, or the Error it carries
// (unknown codes map to kInternal), or kProtocol if the line is malformed or
// its id is not `expected_id`.
Result<Json> ParseResponse(std::string_view line, const Json& expected_id);
// Like ParseResponse, but returns the text of result.<member> inside
// `line`, unparsed (keywarden/json_text.h): for answers too large for a
// Json tree. kProtocol when the result has no such member.
Result<std::string_view> ResponseMemberText(std::string_view line, const Json& expected_id,
                                            std::string_view member);

// Parses text as JSON without exceptions; nullopt for invalid input.
std::optional<Json> ParseJson(std::string_view text);

}  // namespace keywarden
