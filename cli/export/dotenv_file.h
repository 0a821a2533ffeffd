// Edits dotenv files (NAME=value lines, as Continue, Gemini CLI and most
// dotenv loaders read them), keeping every line keywarden does not own.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keywarden/status.h"

namespace keywarden::cli::exporting {

struct DotenvEdit {
  std::string name;
  std::optional<std::string> value;  // nullopt: remove the variable
};

// Applies `edits` to dotenv `text`: an existing `NAME=` or `export NAME=`
// line is replaced where it stands (a later duplicate is dropped), a new
// variable is appended. Quoted values may span lines. kInvalidArgument
// "line N: …" for a line that is neither blank, a comment nor an assignment.
Result<std::string> EditDotenv(std::string_view text, const std::vector<DotenvEdit>& edits);

// The value of the first assignment of `name` in dotenv `text` (quotes
// removed, a double-quoted value unescaped; an unquoted value ends at " #"
// or the end of its line); nullopt when `text` assigns no `name`.
// kInvalidArgument as EditDotenv for a text that does not parse.
Result<std::optional<std::string>> ReadDotenv(std::string_view text, std::string_view name);

// "NAME=value", the value single-quoted when it holds anything beyond
// letters, digits and _-.+/=:@~.
std::string DotenvLine(std::string_view name, std::string_view value);

}  // namespace keywarden::cli::exporting
