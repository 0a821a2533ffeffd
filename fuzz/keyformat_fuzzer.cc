// CheckKeyFormat and MaskKey (keywarden/keyformat.h) on arbitrary bytes.
// Input: one byte choosing the slot's provider, then the pasted key.
// Beyond "no crash": an accepted key is trimmed printable ASCII, no message
// ever quotes the key, and a mask never reveals more than its contract.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "check.h"
#include "keywarden/keyformat.h"
#include "keywarden/providers.h"

namespace {

using keywarden::fuzz::Require;

using keywarden::Catalogue;

// A message names the key's shape, never the key: no long run of the key
// may appear in it. Short runs, or runs with spaces, can coincide with the
// words of a message.
void RequireNotQuoted(std::string_view key, const std::string& text) {
  constexpr size_t kLongRun = 24;
  size_t start = 0;
  for (size_t i = 0; i <= key.size(); ++i) {
    if (i < key.size() && static_cast<unsigned char>(key[i]) > ' ') continue;
    if (i - start >= kLongRun) {
      Require(text.find(key.substr(start, i - start)) == std::string::npos,
              "a message quotes the key");
    }
    start = i + 1;
  }
}

void CheckMask(std::string_view key) {
  std::string mask = keywarden::MaskKey(key);
  static constexpr std::string_view kEllipsis = "\u2026";
  size_t at = mask.find(kEllipsis);
  Require(at != std::string::npos, "a mask without an ellipsis");
  std::string_view prefix = std::string_view(mask).substr(0, at);
  std::string_view suffix = std::string_view(mask).substr(at + kEllipsis.size());
  for (char c : mask.substr(0, at) + std::string(suffix)) {
    Require(c > ' ' && c < 0x7f, "a mask shows an unprintable byte");
  }
  if (key.size() < 12) {
    Require(prefix.empty() && suffix.size() <= 2, "a short key's mask shows too much");
    return;
  }
  Require(suffix.size() == 4, "a mask shows other than the last four characters");
  // Whatever is shown, at least eight characters stay hidden.
  Require(key.size() >= prefix.size() + suffix.size() + 8, "a mask hides too little");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Catalogue& catalogue = Catalogue::Builtin();
  const auto& providers = catalogue.All();
  const keywarden::ProviderInfo& provider = providers[data[0] % providers.size()];
  std::string_view key(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto verdict = keywarden::CheckKeyFormat(key, provider, catalogue);
  if (!verdict) {
    Require(verdict.error().code == keywarden::ErrorCode::kInvalidArgument,
            "a rejection that is not kInvalidArgument");
    RequireNotQuoted(key, verdict.error().message);
    RequireNotQuoted(key, verdict.error().hint);
  } else {
    Require(verdict->begin < verdict->end && verdict->end <= key.size(), "a bad trim range");
    std::string_view trimmed = key.substr(verdict->begin, verdict->end - verdict->begin);
    for (char c : trimmed) Require(c > ' ' && c < 0x7f, "an accepted key is not printable ASCII");
    Require(!trimmed.starts_with('"') && !trimmed.ends_with('"'), "an accepted key is quoted");
    bool trimmed_any = verdict->begin > 0 || verdict->end < key.size();
    bool warned = false;
    for (const auto& warning : verdict->warnings) {
      RequireNotQuoted(trimmed, warning.message);
      warned = warned || warning.code == "whitespace_trimmed";
    }
    Require(warned == trimmed_any, "trimming and its warning disagree");
  }
  CheckMask(key);
  return 0;
}
