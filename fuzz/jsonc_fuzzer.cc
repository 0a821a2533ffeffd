// The JSONC editor behind the Cline, Roo Code, Claude Code and Gemini CLI
// exports (cli/export/jsonc.h): an edit (set or remove a member) on
// arbitrary JSON or JSONC text.
// Beyond "no crash": an edit never fails as kInternal (the editor's own
// self-check), an edited text parses again to exactly the old value with
// that one member changed (so nothing foreign is lost), setting the same
// value again changes nothing, and a failed edit leaves the text alone.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <vector>

#include "check.h"
#include "export/jsonc.h"

namespace {

using keywarden::fuzz::Require;

using keywarden::ErrorCode;
using keywarden::cli::exporting::JsoncDocument;
using keywarden::cli::exporting::OrderedJson;

// Keys the export targets write, so that edits meet the files' own
// members, and a few that need escaping.
const char* const kKeys[] = {"roo-cline.autoImportSettingsPath",
                             "providerProfiles",
                             "apiConfigs",
                             "currentApiConfigName",
                             "security",
                             "auth",
                             "selectedType",
                             "model",
                             "name",
                             "apiKeyHelper",
                             "env",
                             "ANTHROPIC_BASE_URL",
                             "providers",
                             "keywarden-dev-openrouter",
                             "settings",
                             "apiKey",
                             "a",
                             "",
                             "quote\"and\\backslash",
                             "line\nbreak",
                             "/* not a comment */"};

// Values keywarden writes are ASCII (entry names, model ids, checked keys,
// URLs, numbers, small objects); the file around them may hold anything.
OrderedJson PickValue(uint8_t kind, uint8_t which) {
  static const char* const kStrings[] = {"sk-or-v1-0123456789abcdef", "gemini-api-key",
                                         "/home/u/.config/keywarden/roo.json", "",
                                         "a \"quoted\" \\ value\n"};
  switch (kind % 6) {
    case 0:
      return kStrings[which % std::size(kStrings)];
    case 1:
      return static_cast<int>(which) - 128;
    case 2:
      return {{"provider", "openrouter"}, {"apiKey", kStrings[which % std::size(kStrings)]}};
    case 3:
      return OrderedJson::array({"chat", "edit"});
    case 4:
      return nullptr;
    default:
      return OrderedJson::object();
  }
}

// `value` with the member at `path` set (creating objects), as Set promises.
OrderedJson WithMember(OrderedJson value, const std::vector<std::string>& path,
                       const OrderedJson& member) {
  OrderedJson* at = &value;
  for (const std::string& key : path) at = &(*at)[key];
  *at = member;
  return value;
}

}  // namespace

// Input: byte 0 holds the flags (bit 0: comments; bits 1-2: 0 removes,
// else sets; bits 3-4: path length - 1; bits 5-7: the value's kind), bytes
// 1-3 the path's keys, byte 4 the value; the rest is the file.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kHeader = 5;
  if (size < kHeader) return 0;
  const bool comments = data[0] & 1;
  const bool remove = ((data[0] >> 1) & 3) == 0;
  std::vector<std::string> path(std::min(((data[0] >> 3) & 3) + 1, 3));
  for (size_t i = 0; i < path.size(); ++i) path[i] = kKeys[data[1 + i] % std::size(kKeys)];
  const OrderedJson value = PickValue(data[0] >> 5, data[4]);
  const std::string text(reinterpret_cast<const char*>(data) + kHeader, size - kHeader);

  auto doc = JsoncDocument::Parse(text, comments);
  if (!doc) {
    Require(doc.error().code == ErrorCode::kInvalidArgument, "a parse error of the wrong code");
    Require(doc.error().message.starts_with("line "), "a parse error that names no line");
    return 0;
  }
  Require(doc->text() == text, "parsing changed the text");
  const OrderedJson before = doc->value();

  auto status = remove ? doc->Remove(path) : doc->Set(path, value);
  if (!status) {
    Require(status.error().code != ErrorCode::kInternal, "the editor's self-check failed");
    Require(doc->text() == text && doc->value() == before, "a failed edit changed the document");
    return 0;
  }
  auto again = JsoncDocument::Parse(doc->text(), comments);
  Require(again.has_value(), "an edited document does not parse");
  Require(again->value() == doc->value(), "an edited document parses to another value");
  if (remove) {
    OrderedJson expected = before;
    OrderedJson* parent = &expected;
    for (size_t i = 0; i + 1 < path.size() && parent->is_object(); ++i) {
      auto it = parent->find(path[i]);
      parent = it == parent->end() ? nullptr : &*it;
      if (parent == nullptr) break;
    }
    if (parent != nullptr && parent->is_object()) parent->erase(path.back());
    Require(doc->value() == expected, "removing a member changed something else");
    return 0;
  }
  Require(doc->value() == WithMember(before, path, value),
          "setting a member changed something else");
  const std::string edited = doc->text();
  Require(doc->Set(path, value).has_value(), "setting the same value again fails");
  Require(doc->text() == edited, "setting the same value again changed the text");
  return 0;
}
