#include "export/preview.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "export/text_lines.h"
#include "keywarden/keyformat.h"

namespace keywarden::cli::exporting {
namespace {

constexpr size_t kContext = 3;
constexpr size_t kMaxCells = 16'000'000;  // of the diff's table

// The lines without their newlines.
std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  for (std::string_view line : SplitLines(text)) {
    if (line.ends_with('\n')) line.remove_suffix(1);
    lines.emplace_back(line);
  }
  return lines;
}

// One line of an edit script: ' ' kept, '-' removed, '+' added.
struct Step {
  char op;
  size_t old_line, new_line;  // 0-based positions before this step
};

// Longest-common-subsequence edit script; config files are small.
std::vector<Step> Script(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::vector<uint32_t>> lcs(a.size() + 1, std::vector<uint32_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<Step> steps;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      steps.push_back({' ', i++, j++});
    } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
      steps.push_back({'+', i, j++});
    } else {
      steps.push_back({'-', i++, j});
    }
  }
  return steps;
}

}  // namespace

std::string MaskSecret(std::string_view text, std::string_view secret) {
  std::string out(text);
  if (secret.empty()) return out;
  const std::string mask = MaskKey(secret);
  for (size_t at = out.find(secret); at != std::string::npos;
       at = out.find(secret, at + mask.size())) {
    out.replace(at, secret.size(), mask);
  }
  return out;
}

std::string DescribeChange(const FileChange& change, std::string_view secret) {
  const std::string name = change.path.string();
  const std::string before = MaskSecret(change.before.value_or(""), secret);
  const std::string after = MaskSecret(change.after, secret);
  if (change.before && before == after) return fmt::format("{}: no change\n", name);
  std::vector<std::string> a = Lines(before), b = Lines(after);
  std::string out = fmt::format("--- {}\n+++ {}{}\n", change.before ? name : "/dev/null", name,
                                change.secret ? " (mode 0600)" : "");
  if (a.size() * b.size() > kMaxCells) {  // too big to diff: the whole new file
    for (const std::string& line : b) out += "+" + line + "\n";
    return out;
  }
  std::vector<Step> steps = Script(a, b);
  for (size_t k = 0; k < steps.size();) {
    if (steps[k].op == ' ') {
      ++k;
      continue;
    }
    // A hunk: this change plus context, merged with changes that are close.
    size_t begin = k >= kContext ? k - kContext : 0, end = k;
    while (end < steps.size()) {
      size_t next = end;
      while (next < steps.size() && steps[next].op == ' ') ++next;
      if (next == steps.size() || next - end > 2 * kContext) break;
      end = next;
      while (end < steps.size() && steps[end].op != ' ') ++end;
    }
    end = std::min(steps.size(), end + kContext);
    size_t old_count = 0, new_count = 0;
    for (size_t s = begin; s < end; ++s) {
      old_count += steps[s].op != '+';
      new_count += steps[s].op != '-';
    }
    out += fmt::format("@@ -{},{} +{},{} @@\n", steps[begin].old_line + (old_count ? 1 : 0),
                       old_count, steps[begin].new_line + (new_count ? 1 : 0), new_count);
    for (size_t s = begin; s < end; ++s) {
      const std::string& line = steps[s].op == '+' ? b[steps[s].new_line] : a[steps[s].old_line];
      out += steps[s].op + line + "\n";
    }
    k = end;
  }
  return out;
}

}  // namespace keywarden::cli::exporting
