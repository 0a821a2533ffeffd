// Sets keywarden's keys in a TOML file (Codex's config.toml). The only user
// of toml++: it parses the file, formats keywarden's values and checks the
// result. toml++ keeps no comments and normalises layout when it writes a
// document (keys sorted, strings re-quoted), so keywarden's lines are
// spliced into the original text instead, and the splice is re-parsed and
// compared with the intended document. Only a layout the splice cannot
// handle (keywarden's own table written inline or with dotted keys) is
// re-written whole, and then `formatting_lost` says comments and layout
// were not kept.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "export/jsonc.h"
#include "keywarden/status.h"

namespace keywarden::cli::exporting {

struct TomlEdit {
  std::string text;
  bool formatting_lost = false;
};

// In `text` (may be empty), sets each top-level key of `top` (string
// values) and replaces the table at `table_path` (e.g. {"model_providers",
// "keywarden-dev-openai"}) with `table`, whose objects become sub-tables.
// Errors: kInvalidArgument "line L, column C: …" when `text` does not parse;
// kConflict when something on `table_path` is not a table.
Result<TomlEdit> UpsertToml(std::string_view text, const OrderedJson& top,
                            const std::vector<std::string>& table_path, const OrderedJson& table);

}  // namespace keywarden::cli::exporting
