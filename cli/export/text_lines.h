// Line helpers shared by the YAML and TOML editors, which splice whole
// lines into the user's file.
#pragma once

#include <string_view>
#include <vector>

namespace keywarden::cli::exporting {

// `text` cut after each '\n' (kept); a last line without one is kept too.
std::vector<std::string_view> SplitLines(std::string_view text);

// True for a line that is empty, whitespace, or a '#' comment (YAML and TOML).
bool BlankOrComment(std::string_view line);

}  // namespace keywarden::cli::exporting
