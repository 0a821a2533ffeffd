// The foreign-content check of the line-based mergers (YAML, TOML).
#ifndef KEYWARDEN_FUZZ_LINES_KEPT_H_
#define KEYWARDEN_FUZZ_LINES_KEPT_H_

#include <string_view>
#include <vector>

#include "export/text_lines.h"

namespace keywarden::fuzz {

inline std::string_view Chomp(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  return line;
}

// True when every line of `before` appears in `after`, in order.
inline bool KeepsLines(std::string_view before, std::string_view after) {
  using keywarden::cli::exporting::SplitLines;
  std::vector<std::string_view> old_lines = SplitLines(before), new_lines = SplitLines(after);
  size_t at = 0;
  for (std::string_view line : old_lines) {
    while (at < new_lines.size() && Chomp(new_lines[at]) != Chomp(line)) ++at;
    if (at == new_lines.size()) return false;
    ++at;
  }
  return true;
}

}  // namespace keywarden::fuzz

#endif  // KEYWARDEN_FUZZ_LINES_KEPT_H_
