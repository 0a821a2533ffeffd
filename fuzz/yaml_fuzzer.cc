// The YAML merger behind the Continue export (cli/export/yaml_edit.h), on
// arbitrary config.yaml text with keywarden's model entry. Input: a byte
// choosing the entry, then the file's text.
// Beyond "no crash": errors carry only their documented codes; a merged
// file merges again to the same text (so it parses, and holds the entry
// where a second export finds it); the entry's name is in it; and a file
// that never named the entry keeps every line, in order, unless the merger
// says it re-wrote the file.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "export/text_lines.h"
#include "export/yaml_edit.h"
#include "lines_kept.h"

namespace {

using keywarden::fuzz::KeepsLines;
using keywarden::fuzz::Require;

using keywarden::ErrorCode;
using keywarden::cli::exporting::OrderedJson;
using keywarden::cli::exporting::UpsertYamlListItem;

// The entry continue.cc writes, for two slots.
OrderedJson Entry(bool codestral) {
  std::string name = codestral ? "keywarden-dev-codestral" : "keywarden-dev-openrouter";
  OrderedJson entry = OrderedJson::object();
  entry["name"] = name;
  entry["provider"] = codestral ? "mistral" : "openrouter";
  entry["model"] = codestral ? "codestral-2501" : "deepseek/deepseek-chat";
  entry["apiKey"] = codestral ? "${{ secrets.KEYWARDEN_DEV_CODESTRAL }}"
                              : "${{ secrets.KEYWARDEN_DEV_OPENROUTER }}";
  if (codestral) entry["apiBase"] = "https://codestral.mistral.ai/v1";
  entry["roles"] = codestral ? OrderedJson{"chat", "edit", "apply", "autocomplete"}
                             : OrderedJson{"chat", "edit", "apply"};
  return entry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const OrderedJson entry = Entry(data[0] & 1);
  const OrderedJson skeleton = {{"name", "Local Config"}, {"version", "1.0.0"}, {"schema", "v1"}};
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto edit = UpsertYamlListItem(text, "models", "name", entry, skeleton);
  if (!edit) {
    Require(edit.error().code == ErrorCode::kInvalidArgument ||
                edit.error().code == ErrorCode::kConflict,
            "an error of an undocumented code");
    return 0;
  }
  const std::string name = entry["name"].get<std::string>();
  Require(edit->text.find(name) != std::string::npos, "the entry's name is missing");
  if (!edit->formatting_lost && text.find(name) == std::string_view::npos) {
    Require(KeepsLines(text, edit->text), "a line of the file was lost");
  }
  auto again = UpsertYamlListItem(edit->text, "models", "name", entry, skeleton);
  Require(again.has_value(), "a merged file does not merge again");
  Require(again->text == edit->text, "merging twice changed the file again");
  return 0;
}
