// Step 1 of the probe ladder. Every message describes the key's shape and
// never quotes the key or any part of it.
#include "keywarden/keyformat.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "keywarden/unicode.h"

namespace keywarden {
namespace {

// Real keys are at most a few hundred bytes; this bounds the work done on
// hostile input and still admits long JWT-style keys of compatible endpoints.
constexpr size_t kMaxKeyBytes = 4096;

// Prefixes that name a provider or key type, longest first so that
// "sk-or-v1-" wins over "sk-".
constexpr std::array<std::string_view, 10> kKnownPrefixes = {
    "sk-ant-admin01-", "sk-ant-api03-", "sk-svcacct-", "sk-or-v1-", "sk-admin-",
    "sk-proj-",        "AIza",          "gsk_",        "xai-",      "sk-"};

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  // `prefix` is lower case.
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         });
}

std::unexpected<Error> Reject(std::string message, std::string hint = {}) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message), std::move(hint));
}

// Characters in `text`, counting each byte of invalid UTF-8 as one.
size_t CountChars(std::string_view text) {
  size_t count = 0;
  for (size_t pos = 0; pos < text.size(); ++count) {
    auto decoded = DecodeUtf8(text, pos);
    pos += decoded ? decoded->length : 1;
  }
  return count;
}

// Checks the trimmed key's edges for paste artefacts: quotes, an HTTP
// header, a URL, a NAME=value line.
Status CheckEdges(std::string_view key) {
  static constexpr std::string_view kLeftQuote = "\u201C", kRightQuote = "\u201D";
  static constexpr std::string_view kQuoteHint = "quotes in a .env file are not part of the key";
  char first = key.front(), last = key.back();
  bool quote_first = first == '"' || first == '\'' || key.starts_with(kLeftQuote);
  bool quote_last = last == '"' || last == '\'' || key.ends_with(kRightQuote);
  if (quote_first && quote_last && key.size() >= 2) {
    return Reject("the key is wrapped in quotes", std::string(kQuoteHint));
  }
  if (quote_first) return Reject("the key starts with a quote", std::string(kQuoteHint));
  if (quote_last) return Reject("the key ends with a quote", std::string(kQuoteHint));
  if (StartsWithNoCase(key, "bearer ") || StartsWithNoCase(key, "bearer\t")) {
    return Reject("the key starts with \"Bearer \"; paste only the key");
  }
  if (StartsWithNoCase(key, "authorization:")) {
    return Reject("the key starts with \"Authorization:\"; paste only the key");
  }
  if (StartsWithNoCase(key, "https://") || StartsWithNoCase(key, "http://")) {
    return Reject("the key looks like a URL; paste the key itself",
                  "an endpoint URL goes in --endpoint");
  }
  size_t name_end = 0;
  while (name_end < key.size() &&
         (std::isupper(static_cast<unsigned char>(key[name_end])) || key[name_end] == '_' ||
          (name_end > 0 && std::isdigit(static_cast<unsigned char>(key[name_end]))))) {
    ++name_end;
  }
  if (name_end > 0 && name_end + 1 < key.size() && key[name_end] == '=') {
    return Reject("the key looks like a NAME=value line; paste only the value");
  }
  return {};
}

// Rejects the first character no provider puts in a key. `first_char` is the
// 1-based position of key[0] in the input as given.
Status CheckCharacters(std::string_view key, size_t first_char, size_t total_chars) {
  size_t position = first_char;
  auto where = [&] {
    return " at character " + std::to_string(position) + " of " + std::to_string(total_chars);
  };
  for (size_t pos = 0; pos < key.size(); ++position) {
    auto decoded = DecodeUtf8(key, pos);
    if (!decoded) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      unsigned char byte = static_cast<unsigned char>(key[pos]);
      return Reject(std::string("the key contains invalid UTF-8 (byte 0x") + kHex[byte >> 4] +
                        kHex[byte & 15] + ")" + where(),
                    "the key was altered in transit; copy it again from the provider's console");
    }
    char32_t c = decoded->code_point;
    pos += decoded->length;
    if (c > ' ' && c < 0x7F) continue;
    std::string message = "the key contains " + DescribeCodePoint(c) + where();
    std::string hint;
    if (c == 0x2026) {
      hint = "this looks like a masked key (with \u2026); paste the full key";
    } else if (IsInvisible(c)) {
      hint =
          "invisible characters come from copying out of web pages, chat apps or documents; "
          "copy the key again from the provider's console";
    } else {
      hint = "copy the key again from the provider's console";
    }
    return Reject(std::move(message), std::move(hint));
  }
  return {};
}

std::string TrimWarning(size_t leading, size_t trailing) {
  std::string text = "removed ";
  if (leading > 0) text += std::to_string(leading) + " leading";
  if (leading > 0 && trailing > 0) text += " and ";
  if (trailing > 0) text += std::to_string(trailing) + " trailing";
  text += leading + trailing == 1 ? " whitespace character" : " whitespace characters";
  return text + " around the key";
}

}  // namespace

Result<FormatVerdict> CheckKeyFormat(std::string_view key, const ProviderInfo& provider,
                                     const Catalogue& catalogue) {
  if (key.empty()) return Reject("the key is empty");
  if (key.size() > kMaxKeyBytes) {
    return Reject("the key is " + std::to_string(key.size()) + " bytes long, at most " +
                  std::to_string(kMaxKeyBytes));
  }
  FormatVerdict verdict;
  verdict.begin = 0;
  verdict.end = key.size();
  while (verdict.begin < verdict.end && IsAsciiSpace(key[verdict.begin])) ++verdict.begin;
  while (verdict.end > verdict.begin && IsAsciiSpace(key[verdict.end - 1])) --verdict.end;
  if (verdict.begin == verdict.end) return Reject("the key is only whitespace");
  std::string_view trimmed = key.substr(verdict.begin, verdict.end - verdict.begin);
  if (auto ok = CheckEdges(trimmed); !ok) return std::unexpected(ok.error());
  // The trimmed prefix is ASCII, so its byte count is its character count.
  if (auto ok = CheckCharacters(trimmed, verdict.begin + 1, CountChars(key)); !ok) {
    return std::unexpected(ok.error());
  }
  size_t leading = verdict.begin, trailing = key.size() - verdict.end;
  if (leading > 0 || trailing > 0) {
    verdict.warnings.push_back({"whitespace_trimmed", TrimWarning(leading, trailing)});
  }
  // A provider without a pattern (openai-compatible) may front any of the
  // others, so a familiar shape is no sign of a mistake there.
  if (!provider.key_pattern.empty()) {
    auto matches = catalogue.MatchingPattern(trimmed);
    bool own = std::any_of(matches.begin(), matches.end(),
                           [&](const ProviderInfo* p) { return p->id == provider.id; });
    if (!own && !matches.empty()) {
      const ProviderInfo& other = *matches.front();
      bool vowel =
          std::string_view("AEIOU").find(other.display_name.front()) != std::string_view::npos;
      verdict.warnings.push_back(
          {"looks_like_other_provider", "this key looks like " + std::string(vowel ? "an " : "a ") +
                                            other.display_name + " key (" + other.key_example +
                                            ") but the slot's provider is " + provider.id});
    } else if (!own) {
      // No provider's shape: a truncated paste, or a key from a console we
      // do not know. Stored all the same (a provider may issue a new shape);
      // a refusal of it is not waited out as an activation.
      verdict.warnings.push_back({"malformed_key", "this key does not have the shape of a " +
                                                       provider.display_name + " key (" +
                                                       provider.key_example + ")"});
    }
  }
  return verdict;
}

std::string MaskKey(std::string_view key) {
  auto printable = [](std::string_view part) {
    std::string out(part);
    for (char& c : out) {
      if (c <= ' ' || c >= 0x7F) c = '?';
    }
    return out;
  };
  if (key.size() < 12)
    return "\u2026" + printable(key.size() > 4 ? key.substr(key.size() - 2) : "");
  std::string_view prefix;
  for (std::string_view known : kKnownPrefixes) {
    if (key.starts_with(known)) {
      prefix = known;
      break;
    }
  }
  if (prefix.empty()) {
    // An unknown provider's prefix: up to the last '-' in the first 12
    // characters, if it looks like a word rather than random key material.
    size_t dash = key.substr(0, 12).rfind('-');
    if (dash != std::string_view::npos && dash + 1 <= 8 &&
        std::all_of(key.begin(), key.begin() + dash, [](char c) {
          return std::islower(static_cast<unsigned char>(c)) ||
                 std::isdigit(static_cast<unsigned char>(c)) || c == '-';
        })) {
      prefix = key.substr(0, dash + 1);
    }
  }
  // Never show so much that little of the key stays hidden.
  if (key.size() < prefix.size() + 4 + 8) prefix = {};
  return printable(prefix) + "\u2026" + printable(key.substr(key.size() - 4));
}

}  // namespace keywarden
