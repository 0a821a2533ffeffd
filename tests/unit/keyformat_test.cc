// The offline format check (probe ladder step 1) and key masking.
#include "keywarden/keyformat.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace keywarden {
namespace {

constexpr std::string_view kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kUrlSafe =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

std::string Random(std::string_view alphabet, size_t n) {
  static std::mt19937 rng(20260101);
  std::string out;
  for (size_t i = 0; i < n; ++i) out += alphabet[rng() % alphabet.size()];
  return out;
}

// One well-formed key per provider, shaped like the real ones.
std::vector<std::pair<std::string, std::string>> GoodKeys() {
  return {
      {"openrouter", "sk-or-v1-" + Random("0123456789abcdef", 64)},
      {"mistral", Random(kAlnum, 32)},
      {"gemini", "AIzaSy" + Random(kUrlSafe, 33)},
      {"openai", "sk-proj-" + Random(kUrlSafe, 74) + "T3BlbkFJ" + Random(kUrlSafe, 74)},
      {"openai", "sk-svcacct-" + Random(kUrlSafe, 58) + "T3BlbkFJ" + Random(kUrlSafe, 58)},
      {"openai", "sk-" + Random(kAlnum, 20) + "T3BlbkFJ" + Random(kAlnum, 20)},
      {"anthropic", "sk-ant-api03-" + Random(kUrlSafe, 93) + "AA"},
      {"deepseek", "sk-" + Random("abcdefghijklmnopqrstuvwxyz0123456789", 32)},
  };
}

const ProviderInfo& Provider(std::string_view id) { return *Catalogue::Builtin().Find(id); }

Result<FormatVerdict> Check(std::string_view key, std::string_view provider = "openrouter") {
  return CheckKeyFormat(key, Provider(provider), Catalogue::Builtin());
}

// The key's random part in 6-character windows: none may appear in a message.
void ExpectNoKeyMaterial(const Error& error, std::string_view secret) {
  for (size_t i = 0; i + 6 <= secret.size(); ++i) {
    std::string window(secret.substr(i, 6));
    EXPECT_EQ(error.message.find(window), std::string::npos) << error.message;
    EXPECT_EQ(error.hint.find(window), std::string::npos) << error.hint;
  }
}

TEST(KeyFormatTest, GoodKeysOfEveryProviderPassWithoutWarnings) {
  for (const auto& [provider, key] : GoodKeys()) {
    auto verdict = Check(key, provider);
    ASSERT_TRUE(verdict) << provider << ": " << verdict.error().message;
    EXPECT_EQ(verdict->begin, 0u);
    EXPECT_EQ(verdict->end, key.size());
    EXPECT_TRUE(verdict->warnings.empty()) << provider << ": " << verdict->warnings[0].message;
    auto matches = Catalogue::Builtin().MatchingPattern(key);
    ASSERT_EQ(matches.size(), 1u) << provider;
    EXPECT_EQ(matches[0]->id, provider);
  }
}

TEST(KeyFormatTest, AnyKeyPassesQuietlyForOpenAiCompatible) {
  for (const auto& [provider, key] : GoodKeys()) {
    auto verdict = Check(key, "openai-compatible");
    ASSERT_TRUE(verdict);
    EXPECT_TRUE(verdict->warnings.empty()) << provider;
  }
  EXPECT_TRUE(Check("local-token=+/~!", "openai-compatible"));
}

TEST(KeyFormatTest, OtherProvidersKeyWarns) {
  std::string openrouter = GoodKeys()[0].second;
  auto verdict = Check(openrouter, "mistral");
  ASSERT_TRUE(verdict);
  ASSERT_EQ(verdict->warnings.size(), 1u);
  EXPECT_EQ(verdict->warnings[0].code, "looks_like_other_provider");
  EXPECT_EQ(verdict->warnings[0].message,
            "this key looks like an OpenRouter key (sk-or-v1- and 64 hex digits) but the slot's "
            "provider is mistral");
  auto mistral_on_deepseek = Check(GoodKeys()[1].second, "deepseek");
  ASSERT_TRUE(mistral_on_deepseek);
  ASSERT_EQ(mistral_on_deepseek->warnings.size(), 1u);
  EXPECT_NE(mistral_on_deepseek->warnings[0].message.find("a Mistral key"), std::string::npos);
}

TEST(KeyFormatTest, AKeyOfNoProvidersShapeIsStoredWithAWarning) {
  auto verdict = Check("abc123def456", "mistral");
  ASSERT_TRUE(verdict) << verdict.error().message;
  ASSERT_EQ(verdict->warnings.size(), 1u);
  EXPECT_EQ(verdict->warnings[0].code, "malformed_key");
  EXPECT_EQ(verdict->warnings[0].message,
            "this key does not have the shape of a Mistral key (32 letters and digits)");
  // openai-compatible has no shape to miss.
  ASSERT_TRUE(Check("abc123def456", "openai-compatible"));
  EXPECT_TRUE(Check("abc123def456", "openai-compatible")->warnings.empty());
}

TEST(KeyFormatTest, SurroundingAsciiWhitespaceIsTrimmedWithAWarning) {
  std::string key = GoodKeys()[0].second;
  auto verdict = Check("\t " + key + " \r\n");
  ASSERT_TRUE(verdict) << verdict.error().message;
  EXPECT_EQ(verdict->begin, 2u);
  EXPECT_EQ(verdict->end, 2u + key.size());
  ASSERT_EQ(verdict->warnings.size(), 1u);
  EXPECT_EQ(verdict->warnings[0].code, "whitespace_trimmed");
  EXPECT_EQ(verdict->warnings[0].message,
            "removed 2 leading and 3 trailing whitespace characters around the key");
  auto trailing = Check(key + "\n");
  ASSERT_TRUE(trailing);
  EXPECT_EQ(trailing->begin, 0u);
  EXPECT_EQ(trailing->end, key.size());
  EXPECT_EQ(trailing->warnings[0].message,
            "removed 1 trailing whitespace character around the key");
}

struct BadChar {
  std::string bytes;
  std::string description;
  bool trimmed_at_edges;  // ASCII whitespace is trimmed at the start and end
};

TEST(KeyFormatTest, BadCharactersAreNamedWithTheirPositionAtStartMiddleAndEnd) {
  const std::string key = GoodKeys()[0].second;  // 73 characters
  const std::string secret = key.substr(9);
  for (const BadChar& c : {
           BadChar{"\u200B", "U+200B ZERO WIDTH SPACE", false},
           BadChar{"\u200C", "U+200C ZERO WIDTH NON-JOINER", false},
           BadChar{"\u200D", "U+200D ZERO WIDTH JOINER", false},
           BadChar{"\u2060", "U+2060 WORD JOINER", false},
           BadChar{"\uFEFF", "U+FEFF BYTE ORDER MARK", false},
           BadChar{"\u00A0", "U+00A0 NO-BREAK SPACE", false},
           BadChar{"\u202F", "U+202F NARROW NO-BREAK SPACE", false},
           BadChar{"\u2028", "U+2028 LINE SEPARATOR", false},
           BadChar{"\u2013", "U+2013 EN DASH", false},
           BadChar{"\u2026", "U+2026 HORIZONTAL ELLIPSIS", false},
           BadChar{"\u00E9", "non-ASCII character U+00E9", false},
           BadChar{"\U0001F511", "non-ASCII character U+1F511", false},
           BadChar{"\x01", "control character U+0001", false},
           BadChar{"\x1b", "control character U+001B", false},
           BadChar{"\x7f", "delete (U+007F)", false},
           BadChar{"\xc2\x85", "U+0085 NEXT LINE", false},
           BadChar{" ", "space (U+0020)", true},
           BadChar{"\t", "tab (U+0009)", true},
           BadChar{"\n", "line feed (U+000A)", true},
           BadChar{"\r", "carriage return (U+000D)", true},
           BadChar{"\r\n", "carriage return (U+000D)", true},
           BadChar{"\v", "vertical tab (U+000B)", true},
           BadChar{"\f", "form feed (U+000C)", true},
       }) {
    // The character is at position 1, 37 or 74 of a 74-character input.
    for (auto [input, position] : {std::pair{c.bytes + key, 1},
                                   {key.substr(0, 36) + c.bytes + key.substr(36), 37},
                                   {key + c.bytes, 74}}) {
      auto verdict = Check(input);
      bool edge = position != 37;
      if (c.trimmed_at_edges && edge) {
        ASSERT_TRUE(verdict) << c.description << " at " << position;
        EXPECT_EQ(verdict->warnings.at(0).code, "whitespace_trimmed");
        continue;
      }
      ASSERT_FALSE(verdict) << c.description << " at " << position;
      EXPECT_EQ(verdict.error().code, ErrorCode::kInvalidArgument);
      std::string expected = "the key contains " + c.description + " at character " +
                             std::to_string(position) + " of ";
      EXPECT_TRUE(verdict.error().message.starts_with(expected))
          << "got: " << verdict.error().message << "\nwant: " << expected;
      ExpectNoKeyMaterial(verdict.error(), secret);
    }
  }
}

TEST(KeyFormatTest, PositionsCountCharactersNotBytes) {
  std::string key = GoodKeys()[1].second;  // mistral, 32 characters
  auto verdict = Check("\u00A0" + key.substr(0, 10) + "\u200B" + key.substr(10), "mistral");
  ASSERT_FALSE(verdict);
  // The NBSP is reported first; it is one character even though it is two bytes.
  EXPECT_EQ(verdict.error().message, "the key contains U+00A0 NO-BREAK SPACE at character 1 of 34");
  auto second = Check("  " + key.substr(0, 10) + "\u200B" + key.substr(10), "mistral");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message,
            "the key contains U+200B ZERO WIDTH SPACE at character 13 of 35");
}

TEST(KeyFormatTest, InvalidUtf8IsRejectedWithTheByte) {
  std::string key = GoodKeys()[1].second;
  struct Case {
    std::string bytes, byte;
  };
  for (const Case& c :
       {Case{"\xff", "0xFF"}, Case{"\x80", "0x80"}, Case{"\xc0\xaf", "0xC0"},
        Case{"\xed\xa0\x80", "0xED"}, Case{"\xe2\x80", "0xE2"}, Case{"\xf4\x90\x80\x80", "0xF4"}}) {
    auto verdict = Check(key.substr(0, 16) + c.bytes + key.substr(16), "mistral");
    ASSERT_FALSE(verdict) << c.byte;
    EXPECT_TRUE(verdict.error().message.starts_with("the key contains invalid UTF-8 (byte " +
                                                    c.byte + ") at character 17 of "))
        << verdict.error().message;
    ExpectNoKeyMaterial(verdict.error(), key);
  }
}

TEST(KeyFormatTest, PasteArtefactsAreRejectedWithoutEchoingTheKey) {
  const std::string key = GoodKeys()[0].second;
  struct Case {
    std::string input, message;
  };
  for (const Case& c : {
           Case{"\"" + key + "\"", "the key is wrapped in quotes"},
           Case{"'" + key + "'", "the key is wrapped in quotes"},
           Case{"  \"" + key + "\"\n", "the key is wrapped in quotes"},
           Case{"\u201C" + key + "\u201D", "the key is wrapped in quotes"},
           Case{"\"" + key, "the key starts with a quote"},
           Case{key + "'", "the key ends with a quote"},
           Case{"Bearer " + key, "the key starts with \"Bearer \"; paste only the key"},
           Case{"bearer " + key, "the key starts with \"Bearer \"; paste only the key"},
           Case{"BEARER\t" + key, "the key starts with \"Bearer \"; paste only the key"},
           Case{"Authorization: Bearer " + key,
                "the key starts with \"Authorization:\"; paste only the key"},
           Case{"OPENROUTER_API_KEY=" + key,
                "the key looks like a NAME=value line; paste only the value"},
           Case{"https://openrouter.ai/api/v1", "the key looks like a URL; paste the key itself"},
           Case{"", "the key is empty"},
           Case{" \t\r\n", "the key is only whitespace"},
           Case{std::string(5000, 'a'), "the key is 5000 bytes long, at most 4096"},
       }) {
    auto verdict = Check(c.input);
    ASSERT_FALSE(verdict) << c.message;
    EXPECT_EQ(verdict.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(verdict.error().message, c.message);
    ExpectNoKeyMaterial(verdict.error(), key.substr(9));
  }
}

TEST(KeyFormatTest, WarningsNeverContainTheKey) {
  std::string key = GoodKeys()[0].second;
  auto verdict = Check(" " + key + "\n", "deepseek");
  ASSERT_TRUE(verdict);
  ASSERT_EQ(verdict->warnings.size(), 2u);
  for (const Diagnosis& d : verdict->warnings)
    ExpectNoKeyMaterial(Error{ErrorCode::kInternal, d.message}, key.substr(9));
}

TEST(MaskKeyTest, KeepsAKnownPrefixAndTheLastFour) {
  auto keys = GoodKeys();
  auto last4 = [](const std::string& k) { return k.substr(k.size() - 4); };
  EXPECT_EQ(MaskKey(keys[0].second), "sk-or-v1-\u2026" + last4(keys[0].second));
  EXPECT_EQ(MaskKey(keys[1].second), "\u2026" + last4(keys[1].second));
  EXPECT_EQ(MaskKey(keys[2].second), "AIza\u2026" + last4(keys[2].second));
  EXPECT_EQ(MaskKey(keys[3].second), "sk-proj-\u2026" + last4(keys[3].second));
  EXPECT_EQ(MaskKey(keys[4].second), "sk-svcacct-\u2026" + last4(keys[4].second));
  EXPECT_EQ(MaskKey(keys[6].second), "sk-ant-api03-\u2026" + last4(keys[6].second));
  EXPECT_EQ(MaskKey(keys[7].second), "sk-\u2026" + last4(keys[7].second));
  EXPECT_EQ(MaskKey("pk-live-abcdefghijklmnopqrstu9876"),
            "pk-live-\u2026"
            "9876");
  // Random material that happens to contain a '-' is not taken for a prefix.
  EXPECT_EQ(MaskKey("AbCdEfGhIj-KlMnOpQrStUvWx1234"),
            "\u2026"
            "1234");
}

TEST(MaskKeyTest, ShortKeysShowOnlyTheLastTwo) {
  EXPECT_EQ(MaskKey("abcdefghijk"), "\u2026jk");
  EXPECT_EQ(MaskKey(""), "\u2026");
  // A prefix would leave too little hidden.
  EXPECT_EQ(MaskKey("sk-or-v1-abcdefg"), "\u2026defg");
}

}  // namespace
}  // namespace keywarden
