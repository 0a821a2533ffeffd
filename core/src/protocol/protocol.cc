#include "keywarden/protocol.h"

#include <fmt/format.h>

#include "keywarden/json_text.h"
#include "keywarden/secret_json.h"

namespace keywarden {
namespace {

// Measures nesting depth without parsing, so hostile input is rejected by
// shape before the parser allocates anything for it.
bool WithinDepth(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

bool IsUsableId(const Json& id) { return id.is_number_integer() || id.is_string(); }

std::string Line(const Json& message) {
  // Invalid UTF-8 from a client is replaced rather than thrown on.
  std::string out = message.dump(-1, ' ', false, Json::error_handler_t::replace);
  out.push_back('\n');
  return out;
}

}  // namespace

std::optional<Json> ParseJson(std::string_view text) {
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

Result<Request> ParseRequest(std::string_view line, Json* id_out) {
  if (line.size() >= kMaxLineBytes) {
    return Fail(ErrorCode::kProtocol,
                fmt::format("request line longer than {} bytes", kMaxLineBytes - 1));
  }
  if (!WithinDepth(line, kMaxJsonDepth)) {
    return Fail(ErrorCode::kProtocol,
                fmt::format("request nested deeper than {} levels", kMaxJsonDepth));
  }
  std::optional<Json> parsed = ParseJson(line);
  if (!parsed) return Fail(ErrorCode::kProtocol, "request is not valid JSON");
  if (!parsed->is_object()) return Fail(ErrorCode::kProtocol, "request is not a JSON object");
  Json& message = *parsed;

  Request request;
  auto id = message.find("id");
  if (id != message.end() && IsUsableId(*id)) {
    request.id = *id;
    if (id_out) *id_out = *id;
  }
  auto version = message.find("v");
  if (version == message.end() || !version->is_number_integer()) {
    return Fail(ErrorCode::kProtocol, "request has no protocol version \"v\"");
  }
  if (*version != kProtocolVersion) {
    return Fail(ErrorCode::kProtocol,
                fmt::format("protocol version {} is not supported; this daemon speaks {}",
                            version->dump(), kProtocolVersion),
                "use a keywarden CLI of the same version as the daemon");
  }
  if (id == message.end() || !IsUsableId(*id)) {
    return Fail(ErrorCode::kProtocol, "request has no \"id\" (a number or a string)");
  }
  auto method = message.find("method");
  if (method == message.end() || !method->is_string()) {
    return Fail(ErrorCode::kProtocol, "request has no \"method\" string");
  }
  request.method = method->get<std::string>();
  auto params = message.find("params");
  if (params != message.end() && !params->is_null()) {
    if (!params->is_object()) return Fail(ErrorCode::kProtocol, "\"params\" is not an object");
    request.params = std::move(*params);
  }
  return request;
}

std::string EncodeRequest(const Json& id, std::string_view method, const Json& params) {
  return Line({{"v", kProtocolVersion}, {"id", id}, {"method", method}, {"params", params}});
}

std::string EncodeResult(const Json& id, const Json& result) {
  // The result is printed straight into the line, which is reserved ahead:
  // no copy of it (a get's holds the secret) is built, and for a result of
  // the usual size no outgrown buffer is freed unwiped on the way.
  std::string line = ResultLineStart(id);
  line.reserve(line.size() + 4096);
  nlohmann::detail::serializer<Json> printer(nlohmann::detail::output_adapter<char>(line), ' ',
                                             Json::error_handler_t::replace);
  printer.dump(result, /*pretty_print=*/false, /*ensure_ascii=*/false, /*indent_step=*/0);
  line.append(ResultLineEnd());
  return line;
}

// The members of EncodeResult's line, in the order Json::dump sorts them.
std::string ResultLineStart(const Json& id) {
  return "{\"id\":" + id.dump(-1, ' ', false, Json::error_handler_t::replace) +
         ",\"ok\":true,\"result\":";
}

std::string_view ResultLineEnd() {
  static_assert(kProtocolVersion == 1, "ResultLineEnd writes the version");
  return ",\"v\":1}\n";
}

std::string EncodeError(const Json& id, const Error& error) {
  Json body = {{"code", ErrorCodeName(error.code)}, {"message", error.message}};
  if (!error.hint.empty()) body["hint"] = error.hint;
  return Line({{"v", kProtocolVersion}, {"id", id}, {"ok", false}, {"error", body}});
}

Result<Json> ParseResponse(std::string_view line, const Json& expected_id) {
  std::optional<Json> parsed = ParseJson(line);
  if (!parsed || !parsed->is_object()) {
    return Fail(ErrorCode::kProtocol, "the daemon sent a response that is not a JSON object");
  }
  Json& message = *parsed;
  auto version = message.find("v");
  if (version == message.end() || *version != kProtocolVersion) {
    return Fail(ErrorCode::kProtocol, "the daemon speaks another protocol version",
                "restart keywardend after upgrading keywarden");
  }
  auto id = message.find("id");
  if (id == message.end() || *id != expected_id) {
    return Fail(ErrorCode::kProtocol, "the daemon answered another request");
  }
  auto ok = message.find("ok");
  if (ok == message.end() || !ok->is_boolean()) {
    return Fail(ErrorCode::kProtocol, "the daemon's response has no \"ok\"");
  }
  if (ok->get<bool>()) {
    auto result = message.find("result");
    return result == message.end() ? Json::object() : std::move(*result);
  }
  const Json& error = message.value("error", Json::object());
  Error out;
  out.code = ErrorCode::kInternal;
  if (auto code = error.find("code"); code != error.end() && code->is_string()) {
    out.code = ErrorCodeFromName(code->get<std::string>()).value_or(ErrorCode::kInternal);
  }
  if (auto text = error.find("message"); text != error.end() && text->is_string()) {
    out.message = text->get<std::string>();
  }
  if (auto hint = error.find("hint"); hint != error.end() && hint->is_string()) {
    out.hint = hint->get<std::string>();
  }
  return std::unexpected(std::move(out));
}

Result<std::string_view> ResponseMemberText(std::string_view line, const Json& expected_id,
                                            std::string_view member) {
  constexpr size_t npos = std::string_view::npos;
  // One pass over the (maybe very long) line: into "result", across `member`.
  size_t result_at = npos, result_end = npos;
  std::optional<std::string_view> value;
  const size_t end = ForEachJsonMember(line, 0, [&](std::string_view key, size_t at) {
    if (key != "result") return SkipJsonValue(line, at);
    result_at = at;
    result_end = ForEachJsonMember(line, at, [&](std::string_view inner, size_t inner_at) {
      size_t inner_end = SkipJsonValue(line, inner_at);
      if (inner == member && inner_end != npos) value = line.substr(inner_at, inner_end - inner_at);
      return inner_end;
    });
    return at < line.size() && line[at] == '{' ? result_end : SkipJsonValue(line, at);
  });
  if (end == npos || line.find_first_not_of(" \t\r", end) != npos) {
    return Fail(ErrorCode::kProtocol, "the daemon sent a response that is not a JSON object");
  }
  // Everything but the result is small: ParseResponse checks it (and turns
  // an error reply into its Error) with the result replaced by null.
  std::string envelope(line);
  if (result_at != npos && result_end != npos) {
    envelope =
        std::string(line.substr(0, result_at)) + "null" + std::string(line.substr(result_end));
  }
  Result<Json> checked = ParseResponse(envelope, expected_id);
  if (!checked) return std::unexpected(checked.error());
  if (!value) return std::unexpected(UnexpectedReply());
  return *value;
}

}  // namespace keywarden
