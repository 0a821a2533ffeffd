#include "export/dotenv_file.h"

#include <fmt/format.h>

namespace keywarden::cli::exporting {
namespace {

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// One logical entry: the text of its lines (with their newlines) and the
// variable it assigns ("" for blank and comment lines).
struct Entry {
  std::string text;
  std::string name;
  bool exported = false;  // written as `export NAME=…`
};

Result<std::vector<Entry>> Split(std::string_view text) {
  std::vector<Entry> entries;
  size_t pos = 0, line = 1;
  while (pos < text.size()) {
    size_t start = pos, first_line = line;
    size_t eol = text.find('\n', pos);
    std::string_view row =
        text.substr(pos, eol == std::string_view::npos ? text.size() - pos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++line;
    std::string_view body = row.substr(std::min(row.find_first_not_of(" \t"), row.size()));
    if (body.empty() || body.starts_with('#') || body == "\r") {
      entries.push_back({std::string(text.substr(start, pos - start)), ""});
      continue;
    }
    bool exported = body.starts_with("export ");
    if (exported) body = body.substr(std::min(body.find_first_not_of(' ', 7), body.size()));
    size_t n = 0;
    while (n < body.size() && IsNameChar(body[n])) ++n;
    size_t eq = body.find_first_not_of(" \t", n);
    if (n == 0 || eq == std::string_view::npos || body[eq] != '=') {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("line {}: expected NAME=value", first_line));
    }
    std::string_view value =
        body.substr(body.find_first_not_of(" \t", eq + 1) == std::string_view::npos
                        ? body.size()
                        : body.find_first_not_of(" \t", eq + 1));
    // A quoted value runs to its closing quote, possibly on a later line.
    if (!value.empty() && (value[0] == '"' || value[0] == '\'' || value[0] == '`')) {
      char quote = value[0];
      size_t value_at = static_cast<size_t>(value.data() - text.data());
      size_t close = value_at + 1;
      while (close < text.size() && text[close] != quote)
        close += (text[close] == '\\' && quote == '"') ? 2 : 1;
      if (close >= text.size()) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("line {}: unterminated {} quote", first_line, quote));
      }
      for (size_t i = value_at; i < close; ++i) line += text[i] == '\n' ? 1 : 0;
      if (close >= pos) {
        eol = text.find('\n', close);
        pos = eol == std::string_view::npos ? text.size() : eol + 1;
      }
    }
    entries.push_back(
        {std::string(text.substr(start, pos - start)), std::string(body.substr(0, n)), exported});
  }
  return entries;
}

}  // namespace

std::string DotenvLine(std::string_view name, std::string_view value) {
  bool plain = !value.empty();
  for (char c : value) {
    plain =
        plain && (IsNameChar(c) || std::string_view("+/=:@~").find(c) != std::string_view::npos);
  }
  if (plain) return fmt::format("{}={}", name, value);
  if (value.find('\'') == std::string_view::npos) return fmt::format("{}='{}'", name, value);
  std::string escaped;
  for (char c : value) {
    if (c == '"' || c == '\\' || c == '$' || c == '`') escaped += '\\';
    escaped += c;
  }
  return fmt::format("{}=\"{}\"", name, escaped);
}

Result<std::optional<std::string>> ReadDotenv(std::string_view text, std::string_view name) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  Result<std::vector<Entry>> entries = Split(text);
  if (!entries) return std::unexpected(entries.error());
  for (const Entry& entry : *entries) {
    if (entry.name != name) continue;
    std::string_view rest = entry.text;
    rest.remove_prefix(rest.find('=') + 1);
    rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
    std::string value;
    if (!rest.empty() && (rest[0] == '"' || rest[0] == '\'' || rest[0] == '`')) {
      const char quote = rest[0];
      for (size_t i = 1; i < rest.size() && rest[i] != quote; ++i) {
        if (quote == '"' && rest[i] == '\\' && i + 1 < rest.size()) {
          ++i;
          value += rest[i] == 'n' ? '\n' : rest[i];
          continue;
        }
        value += rest[i];
      }
      return value;
    }
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    size_t comment = line.find(" #");
    if (comment != std::string_view::npos) line = line.substr(0, comment);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    return std::string(line);
  }
  return std::optional<std::string>();
}

Result<std::string> EditDotenv(std::string_view text, const std::vector<DotenvEdit>& edits) {
  // A UTF-8 byte order mark is written back as it was, before the first line.
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  const bool bom = text.starts_with(kByteOrderMark);
  if (bom) text.remove_prefix(kByteOrderMark.size());
  Result<std::vector<Entry>> entries = Split(text);
  if (!entries) return std::unexpected(entries.error());
  std::string out(bom ? kByteOrderMark : "");
  std::vector<bool> done(edits.size(), false);
  for (const Entry& entry : *entries) {
    size_t i = 0;
    while (i < edits.size() && edits[i].name != entry.name) ++i;
    if (entry.name.empty() || i == edits.size()) {
      out += entry.text;
      continue;
    }
    if (done[i] || !edits[i].value) continue;  // a duplicate, or removed
    done[i] = true;
    out += (entry.exported ? "export " : "") + DotenvLine(edits[i].name, *edits[i].value) + "\n";
  }
  for (size_t i = 0; i < edits.size(); ++i) {
    if (done[i] || !edits[i].value) continue;
    if (out.size() > (bom ? kByteOrderMark.size() : 0) && !out.ends_with('\n')) out += '\n';
    out += DotenvLine(edits[i].name, *edits[i].value) + "\n";
  }
  return out;
}

}  // namespace keywarden::cli::exporting
