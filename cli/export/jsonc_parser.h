// The parser behind JsoncDocument: the value plus the byte ranges an edit
// needs. Internal to cli/export.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "export/jsonc.h"

namespace keywarden::cli::exporting {

struct JsoncDocument::Node {
  enum class Kind { kObject, kArray, kScalar };
  struct Member {
    std::string key;
    size_t key_begin = 0;  // offset of the key's opening quote
    std::unique_ptr<Node> value;
  };

  Kind kind = Kind::kScalar;
  size_t begin = 0;             // first byte of the value ('{' for an object)
  size_t end = 0;               // one past its last byte ('}' + 1)
  std::vector<Member> members;  // objects only, in file order, duplicates kept

  // The last member named `key` (the one JSON.parse keeps), or nullptr.
  Member* Find(std::string_view key);
};

struct ParsedJsonc {
  std::unique_ptr<JsoncDocument::Node> root;
  OrderedJson value;
};

// Parses `text`; kInvalidArgument "line L, column C: …" on a syntax error.
Result<ParsedJsonc> ParseJsonc(std::string_view text, bool comments);

// Offset of the first byte after `offset` that is neither whitespace nor
// (with `comments`) part of a comment.
size_t SkipBlank(std::string_view text, size_t offset, bool comments);

}  // namespace keywarden::cli::exporting
