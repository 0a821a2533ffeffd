#include "keywarden/secret_json.h"

#include <fmt/format.h>

#include <cstring>

#include "keywarden/json_text.h"
#include "keywarden/unicode.h"

namespace keywarden {
namespace {

constexpr std::string_view kSpace = " \t\r\n";

// The bytes `value` takes inside a JSON string; nullopt if it is not UTF-8.
std::optional<size_t> EscapedSize(std::string_view value) {
  size_t size = 0;
  for (size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      std::optional<DecodedChar> decoded = DecodeUtf8(value, i);
      if (!decoded) return std::nullopt;
      size += decoded->length;
      i += decoded->length;
      continue;
    }
    size += (c == '"' || c == '\\') ? 2 : c < 0x20 ? 6 : 1;
    ++i;
  }
  return size;
}

// Writes `value` (already checked by EscapedSize) as JSON string content.
char* WriteEscaped(char* out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      *out++ = '\\';
      *out++ = ch;
    } else if (c < 0x20) {
      out[0] = '\\';
      out[1] = 'u';
      out[2] = '0';
      out[3] = '0';
      out[4] = kHex[c >> 4];
      out[5] = kHex[c & 0xf];
      out += 6;
    } else {
      *out++ = ch;
    }
  }
  return out;
}

std::optional<uint32_t> Hex4(std::string_view text, size_t at) {
  if (at + 4 > text.size()) return std::nullopt;
  uint32_t value = 0;
  for (size_t i = at; i < at + 4; ++i) {
    const char c = text[i];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
    if (digit < 0) return std::nullopt;
    value = value * 16 + static_cast<uint32_t>(digit);
  }
  return value;
}

// Unescapes the JSON string `quoted` (quotes included) into `out`, which
// has room for quoted.size() bytes; returns the length, nullopt if invalid.
std::optional<size_t> Unescape(std::string_view quoted, uint8_t* out) {
  if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') return std::nullopt;
  const std::string_view text = quoted.substr(1, quoted.size() - 2);
  size_t n = 0;
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '\\') {
      out[n++] = static_cast<uint8_t>(text[i++]);
      continue;
    }
    if (i + 1 >= text.size()) return std::nullopt;
    const char e = text[i + 1];
    i += 2;
    static constexpr std::string_view kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
    if (size_t k = kFrom.find(e); k != std::string_view::npos) {
      out[n++] = static_cast<uint8_t>(kTo[k]);
      continue;
    }
    if (e != 'u') return std::nullopt;
    std::optional<uint32_t> unit = Hex4(text, i);
    if (!unit) return std::nullopt;
    i += 4;
    uint32_t cp = *unit;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return std::nullopt;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (text.substr(i, 2) != "\\u") return std::nullopt;
      std::optional<uint32_t> low = Hex4(text, i + 2);
      if (!low || *low < 0xDC00 || *low > 0xDFFF) return std::nullopt;
      i += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (*low - 0xDC00);
    }
    // An escape takes 6 (12 for a pair) bytes, its UTF-8 at most 3 (4).
    if (cp < 0x80) {
      out[n++] = static_cast<uint8_t>(cp);
    } else if (cp < 0x800) {
      out[n++] = static_cast<uint8_t>(0xC0 | (cp >> 6));
      out[n++] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out[n++] = static_cast<uint8_t>(0xE0 | (cp >> 12));
      out[n++] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
      out[n++] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    } else {
      out[n++] = static_cast<uint8_t>(0xF0 | (cp >> 18));
      out[n++] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
      out[n++] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
      out[n++] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    }
  }
  return n;
}

}  // namespace

Error UnexpectedReply() {
  return Error{ErrorCode::kProtocol, "unexpected reply from the daemon",
               "is --socket / KEYWARDEN_SOCKET a keywardend of this version? see its log"};
}

Result<SecretBuffer> EncodeSecretRequest(const Json& id, std::string_view method,
                                         const Json& params,
                                         const std::vector<SecretParam>& secrets) {
  // {"id":…,"method":…,"params":{"secret":"…",<params' members>},"v":1}
  if (!params.is_object() && !params.is_null()) {
    return Fail(ErrorCode::kInvalidArgument, "the params of a request must be an object");
  }
  const std::string head = "{\"id\":" + id.dump() + ",\"method\":" +
                           Json(method).dump(-1, ' ', false, Json::error_handler_t::replace) +
                           ",\"params\":{";
  const std::string rest =
      params.is_null() ? "{}" : params.dump(-1, ' ', false, Json::error_handler_t::replace);
  static_assert(kProtocolVersion == 1, "the tail writes the version");
  // params' members after the secrets, a comma between when both are there.
  const std::string members = rest.substr(1);  // "<members>}" or "}"
  const bool comma = !secrets.empty() && members.size() > 1;
  const std::string tail = (comma ? "," : "") + members + ",\"v\":1}\n";
  size_t size = head.size() + tail.size();
  for (const SecretParam& secret : secrets) {
    std::optional<size_t> escaped = EscapedSize(secret.value);
    if (!escaped) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("the {} is not UTF-8 text", secret.name));
    }
    size += (&secret == &secrets.front() ? 0 : 1) + Json(secret.name).dump().size() + 3 + *escaped;
  }
  SecretBuffer line(size);
  char* out = reinterpret_cast<char*>(line.data());
  out = std::copy(head.begin(), head.end(), out);
  for (const SecretParam& secret : secrets) {
    if (&secret != &secrets.front()) *out++ = ',';
    const std::string name = Json(secret.name).dump();
    out = std::copy(name.begin(), name.end(), out);
    *out++ = ':';
    *out++ = '"';
    out = WriteEscaped(out, secret.value);
    *out++ = '"';
  }
  std::copy(tail.begin(), tail.end(), out);
  return line;
}

Result<SecretBuffer> ParseSecretResponse(std::string_view line, const Json& expected_id,
                                         Json* rest) {
  constexpr size_t npos = std::string_view::npos;
  size_t secret_at = npos, secret_end = npos;
  int secrets = 0;
  const size_t end = ForEachJsonMember(line, 0, [&](std::string_view key, size_t at) {
    const size_t value_at = line.find_first_not_of(kSpace, at);
    if (key != "result" || value_at == npos || line[value_at] != '{') {
      return SkipJsonValue(line, at);
    }
    return ForEachJsonMember(line, value_at, [&](std::string_view inner, size_t inner_at) {
      const size_t inner_end = SkipJsonValue(line, inner_at);
      if (inner == "secret") {
        ++secrets;
        secret_at = line.find_first_not_of(kSpace, inner_at);
        secret_end = inner_end;
      }
      return inner_end;
    });
  });
  if (end == npos || line.find_first_not_of(kSpace, end) != npos) {
    return Fail(ErrorCode::kProtocol, "the daemon sent a response that is not a JSON object");
  }
  // The rest of the line, with the secret's text replaced by null, is no
  // secret and is parsed (and an error reply turned into its Error) as usual.
  std::string envelope(line);
  if (secrets == 1 && secret_end != npos) {
    envelope =
        std::string(line.substr(0, secret_at)) + "null" + std::string(line.substr(secret_end));
  }
  Result<Json> result = ParseResponse(envelope, expected_id);
  if (!result) return std::unexpected(result.error());
  if (secrets != 1 || secret_end == npos || !result->is_object() || line[secret_at] != '"') {
    return std::unexpected(UnexpectedReply());
  }
  const std::string_view quoted = line.substr(secret_at, secret_end - secret_at);
  SecretBuffer scratch(quoted.size());
  std::optional<size_t> length = Unescape(quoted, scratch.data());
  if (!length) return std::unexpected(UnexpectedReply());
  SecretBuffer secret = SecretBuffer::Copy(scratch.view().substr(0, *length));
  result->erase("secret");
  if (rest) *rest = std::move(*result);
  return secret;
}

}  // namespace keywarden
