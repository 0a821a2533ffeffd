#include "export/preview.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "export/text_lines.h"
#include "keywarden/keyformat.h"
#include "keywarden/secret.h"

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

// Characters a key is made of.
bool KeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

bool EndsWithNoCase(std::string_view name, std::string_view suffix) {
  if (name.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), name.end() - suffix.size(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

// OPENAI_API_KEY, apiKey, api_key, ANTHROPIC_AUTH_TOKEN, client_secret; not
// apiKeyHelper (a command) nor apiBase.
bool SecretName(std::string_view name) {
  for (std::string_view suffix : {"key", "token", "secret", "password", "passwd"}) {
    if (EndsWithNoCase(name, suffix)) return true;
  }
  return false;
}

// A word that looks like key material by itself: a known key prefix
// followed by enough characters, or a long run of letters and digits
// mixed (a model id has dashes; a URL, slashes).
bool KeyShaped(std::string_view word) {
  for (std::string_view prefix : {"sk-", "AIza", "gsk_", "xai-", "ghp_", "github_pat_"}) {
    if (word.starts_with(prefix) && word.size() >= prefix.size() + 16) return true;
  }
  if (word.size() < 24) return false;
  bool letters = false, digits = false;
  for (char c : word) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
    letters = letters || std::isalpha(static_cast<unsigned char>(c));
    digits = digits || std::isdigit(static_cast<unsigned char>(c));
  }
  return letters && digits;
}

// The value assigned on `line` to a secret-looking name, as [begin, end)
// offsets; {0, 0} when there is none. Shapes: NAME=value, export NAME=value,
// "name": "value", name: value, name = "value".
std::pair<size_t, size_t> AssignedSecret(std::string_view line) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && !KeyChar(line[i])) ++i;
    size_t name_begin = i;
    while (i < line.size() && KeyChar(line[i])) ++i;
    std::string_view name = line.substr(name_begin, i - name_begin);
    size_t j = i;
    if (j < line.size() && (line[j] == '"' || line[j] == '\'')) ++j;
    while (j < line.size() && line[j] == ' ') ++j;
    if (j >= line.size() || (line[j] != '=' && line[j] != ':')) continue;
    ++j;
    while (j < line.size() && line[j] == ' ') ++j;
    char quote = j < line.size() && (line[j] == '"' || line[j] == '\'') ? line[j] : 0;
    if (quote) ++j;
    size_t value_begin = j;
    while (j < line.size() &&
           (quote ? line[j] != quote
                  : !std::isspace(static_cast<unsigned char>(line[j])) && line[j] != ','))
      ++j;
    std::string_view value = line.substr(value_begin, j - value_begin);
    // A value already masked ("sk-or-v1-…cdef") or a reference is left.
    if (!name.empty() && SecretName(name) && value.size() >= 8 && !value.starts_with("$") &&
        value.find("\u2026") == std::string_view::npos) {
      return {value_begin, j};
    }
    i = std::max(i, name_begin + 1);
  }
  return {0, 0};
}

std::string MaskLine(std::string_view line) {
  std::string out;
  auto [secret_begin, secret_end] = AssignedSecret(line);
  for (size_t i = 0; i < line.size();) {
    if (i == secret_begin && secret_end > secret_begin) {
      out += MaskKey(line.substr(secret_begin, secret_end - secret_begin));
      i = secret_end;
      continue;
    }
    if (!KeyChar(line[i])) {
      out += line[i++];
      continue;
    }
    size_t end = i;
    while (end < line.size() && KeyChar(line[end])) ++end;
    std::string_view word = line.substr(i, end - i);
    out += KeyShaped(word) ? MaskKey(word) : std::string(word);
    i = end;
  }
  return out;
}

}  // namespace

std::string MaskSecrets(std::string_view text, std::string_view secret) {
  const std::string known = MaskSecret(text, secret);
  std::string out;
  for (std::string_view line : SplitLines(known)) {
    bool newline = line.ends_with('\n');
    if (newline) line.remove_suffix(1);
    out += MaskLine(line);
    if (newline) out += '\n';
  }
  return out;
}

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
  // The diff is of the real texts (two keys may mask alike); only what is
  // printed is masked, line by line.
  if (change.before && *change.before == change.after) return fmt::format("{}: no change\n", name);
  std::vector<std::string> a = Lines(change.before.value_or("")), b = Lines(change.after);
  struct WipeLines {
    std::vector<std::string>& lines;
    ~WipeLines() {
      for (std::string& line : lines) Wipe(line);
    }
  } wipe_a{a}, wipe_b{b};
  std::string out = fmt::format("--- {}\n+++ {}{}\n", change.before ? name : "/dev/null", name,
                                change.secret ? " (mode 0600)" : "");
  if (a.size() * b.size() > kMaxCells) {  // too big to diff: the whole new file
    for (const std::string& line : b) out += "+" + MaskSecrets(line, secret) + "\n";
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
      out += steps[s].op + MaskSecrets(line, secret) + "\n";
    }
    k = end;
  }
  return out;
}

}  // namespace keywarden::cli::exporting
