// Puts one keywarden item into a YAML file's top-level list (Continue's
// config.yaml `models`). The only user of yaml-cpp: it parses the file,
// emits the item and checks the result. yaml-cpp drops comments when it
// re-emits a document, so the item is spliced into the original text
// instead, and the splice is re-parsed and compared with the intended
// document; only a layout the splice cannot handle (a flow-style list such
// as `models: [...]`) is re-emitted whole, and then `formatting_lost` says
// the file's comments and layout were not kept.
#pragma once

#include <string>
#include <string_view>

#include "export/jsonc.h"
#include "keywarden/status.h"

namespace keywarden::cli::exporting {

struct YamlEdit {
  std::string text;
  bool formatting_lost = false;
};

// In `text` (empty: a new file made of `skeleton`'s keys), replaces the item
// of top-level list `list` whose `match` key equals item[match], or appends
// `item` to the list (creating it). Scalars in `item` are strings, arrays
// of strings come out in flow style (`[chat, edit]`).
// Errors: kInvalidArgument "line L, column C: …" when `text` does not
// parse; kConflict when it parses but is not a mapping or `list` is not a
// list.
Result<YamlEdit> UpsertYamlListItem(std::string_view text, const std::string& list,
                                    const std::string& match, const OrderedJson& item,
                                    const OrderedJson& skeleton);

}  // namespace keywarden::cli::exporting
