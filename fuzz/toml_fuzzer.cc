// The TOML merger behind the Codex export (cli/export/toml_edit.h), on
// arbitrary config.toml text with keywarden's provider table. Input: a byte
// choosing the slot, then the file's text.
// Beyond "no crash": errors carry only their documented codes; a merged
// file merges again to the same text (so it parses, and holds the table
// where a second export finds it); the table's header and keys are in it;
// and a file that never named keywarden keeps every line, in order, unless
// the merger says it re-wrote the file.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "export/text_lines.h"
#include "export/toml_edit.h"
#include "lines_kept.h"

namespace {

using keywarden::fuzz::KeepsLines;
using keywarden::fuzz::Require;

using keywarden::ErrorCode;
using keywarden::cli::exporting::OrderedJson;
using keywarden::cli::exporting::UpsertToml;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // What codex.cc writes for dev/openai or dev/openrouter.
  const bool openrouter = data[0] & 1;
  const std::string id = openrouter ? "keywarden-dev-openrouter" : "keywarden-dev-openai";
  const OrderedJson auth = {{"command", "/usr/bin/keywarden"},
                            {"args", {"get", openrouter ? "dev/openrouter" : "dev/openai"}},
                            {"timeout_ms", 5000},
                            {"refresh_interval_ms", 300000}};
  const OrderedJson provider = {
      {"name", "keywarden " + std::string(openrouter ? "dev/openrouter" : "dev/openai")},
      {"base_url", openrouter ? "https://openrouter.ai/api/v1" : "https://api.openai.com/v1"},
      {"wire_api", "responses"},
      {"auth", auth}};
  const OrderedJson top = {{"model", openrouter ? "openai/gpt-5" : "gpt-5-codex"},
                           {"model_provider", id}};
  const std::vector<std::string> path = {"model_providers", id};
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto edit = UpsertToml(text, top, path, provider);
  if (!edit) {
    Require(edit.error().code == ErrorCode::kInvalidArgument ||
                edit.error().code == ErrorCode::kConflict,
            "an error of an undocumented code");
    return 0;
  }
  Require(edit->text.find(id) != std::string::npos, "the provider's name is missing");
  if (!edit->formatting_lost) {
    Require(edit->text.find("[model_providers." + id + "]") != std::string::npos,
            "the provider's table header is missing");
    if (text.find("keywarden") == std::string_view::npos &&
        text.find("model") == std::string_view::npos) {
      Require(KeepsLines(text, edit->text), "a line of the file was lost");
    }
  }
  auto again = UpsertToml(edit->text, top, path, provider);
  Require(again.has_value(), "a merged file does not merge again");
  Require(again->text == edit->text, "merging twice changed the file again");
  return 0;
}
