// An in-place editor for JSON and JSONC (JSON with comments and trailing
// commas, as in VS Code's settings.json). Like VS Code's jsonc-parser
// modify(), an edit rewrites only the bytes of the member it touches:
// comments, spacing and key order elsewhere stay exactly as they were.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "keywarden/status.h"

namespace keywarden::cli::exporting {

using OrderedJson = nlohmann::ordered_json;

class JsoncDocument {
 public:
  // Parses `text`. With `comments`, // and /* */ comments and trailing
  // commas are allowed. Errors are kInvalidArgument reading
  // "line L, column C: expected …".
  static Result<JsoncDocument> Parse(std::string text, bool comments);

  JsoncDocument(JsoncDocument&&) noexcept;
  JsoncDocument& operator=(JsoncDocument&&) noexcept;
  JsoncDocument(const JsoncDocument&) = delete;
  JsoncDocument& operator=(const JsoncDocument&) = delete;
  ~JsoncDocument();

  // The document's value without comments; of duplicate keys the last one
  // counts, as in JavaScript's JSON.parse.
  const OrderedJson& value() const { return value_; }
  const std::string& text() const { return text_; }

  // Sets the member at `path` (object keys from the root) to `value`,
  // creating objects on the way; a new member goes last in its object.
  // Nothing changes when the member already equals `value`.
  // kInvalidArgument when the root or a member on the way is not an object.
  Status Set(const std::vector<std::string>& path, const OrderedJson& value);
  // Removes the member at `path` with its comma; absent is not an error.
  Status Remove(const std::vector<std::string>& path);

  struct Node;  // the parsed layout: byte ranges of every value and key

 private:
  using Edit = std::tuple<size_t, size_t, std::string>;  // replace [begin, end) with the text

  JsoncDocument() = default;
  // Applies the edits (none overlap), re-parses, and checks the result
  // equals `expected`; on a mismatch nothing changes.
  Status Apply(std::vector<Edit> edits, const OrderedJson& expected);
  std::vector<Edit> InsertMember(const Node& object, const std::string& key,
                                 const OrderedJson& value) const;
  std::vector<Edit> RemoveEdits(const Node& object, size_t index) const;
  std::string Format(const OrderedJson& value, const std::string& indent) const;
  std::string LineIndent(size_t offset) const;

  std::string text_;
  bool comments_ = false;
  std::string unit_ = "  ";  // one level of indentation, as the file uses it
  std::unique_ptr<Node> root_;
  OrderedJson value_;
};

}  // namespace keywarden::cli::exporting
