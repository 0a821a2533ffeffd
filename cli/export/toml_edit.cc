#include "export/toml_edit.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "export/text_lines.h"

namespace keywarden::cli::exporting {
namespace {

constexpr auto kFormat = toml::format_flags::allow_unicode_strings;

toml::table ToTable(const OrderedJson& object);

void Insert(toml::table& table, const std::string& key, const OrderedJson& value) {
  if (value.is_object()) {
    table.insert_or_assign(key, ToTable(value));
  } else if (value.is_array()) {
    toml::array array;
    for (const OrderedJson& element : value) array.push_back(element.get<std::string>());
    table.insert_or_assign(key, std::move(array));
  } else if (value.is_number_integer()) {
    table.insert_or_assign(key, value.get<int64_t>());
  } else if (value.is_boolean()) {
    table.insert_or_assign(key, value.get<bool>());
  } else {
    table.insert_or_assign(key, value.get<std::string>());
  }
}

toml::table ToTable(const OrderedJson& object) {
  toml::table table;
  for (const auto& [key, value] : object.items()) Insert(table, key, value);
  return table;
}

std::string Format(const toml::table& table) {
  std::ostringstream out;
  out << toml::toml_formatter(table, kFormat);
  std::string text = out.str();
  if (!text.ends_with('\n')) text += '\n';
  return text;
}

// Editable copies of the lines, each ending in a newline.
std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  for (std::string_view line : SplitLines(text)) lines.emplace_back(line);
  if (!lines.empty() && !lines.back().ends_with('\n')) lines.back() += '\n';
  return lines;
}

// Byte offset of 1-based codepoint `column` in `line`.
size_t ByteOffset(std::string_view line, size_t column) {
  size_t offset = 0;
  for (size_t seen = 1; offset < line.size() && seen < column; ++seen) {
    do ++offset;
    while (offset < line.size() && (static_cast<unsigned char>(line[offset]) & 0xC0) == 0x80);
  }
  return offset;
}

// 1-based lines of every `[table]` / `[[array]]` header below `table`.
void CollectHeaders(const toml::table& table, const std::vector<std::string>& lines,
                    std::set<size_t>* out) {
  auto visit = [&](const toml::table& sub) {
    size_t line = sub.source().begin.line;
    if (!sub.is_inline() && line >= 1 && line <= lines.size()) {
      size_t first = lines[line - 1].find_first_not_of(" \t");
      if (first != std::string::npos && lines[line - 1][first] == '[') out->insert(line);
    }
    CollectHeaders(sub, lines, out);
  };
  for (const auto& [key, node] : table) {
    if (const toml::table* sub = node.as_table()) visit(*sub);
    if (const toml::array* array = node.as_array(); array && array->is_array_of_tables()) {
      for (const toml::node& element : *array) visit(*element.as_table());
    }
  }
}

// Header lines of `table` and every table below it; nullopt when one of
// them is not written as a `[header]`.
std::optional<std::set<size_t>> OwnHeaders(const toml::table& table,
                                           const std::set<size_t>& headers) {
  std::set<size_t> own;
  if (table.is_inline() || !headers.contains(table.source().begin.line)) return std::nullopt;
  own.insert(table.source().begin.line);
  for (const auto& [key, node] : table) {
    if (node.is_array_of_tables()) return std::nullopt;
    if (const toml::table* sub = node.as_table()) {
      std::optional<std::set<size_t>> below = OwnHeaders(*sub, headers);
      if (!below) return std::nullopt;
      own.insert(below->begin(), below->end());
    }
  }
  return own;
}

std::optional<std::string> Splice(std::string_view text, const toml::table& root,
                                  const OrderedJson& top, const std::vector<std::string>& path,
                                  const std::string& section) {
  std::vector<std::string> lines = Lines(text);
  std::set<size_t> headers;
  CollectHeaders(root, lines, &headers);
  const size_t first_header = headers.empty() ? lines.size() + 1 : *headers.begin();

  // Top-level keys: an existing value is replaced where it stands; missing
  // keys go after the last top-level line.
  std::string missing;
  size_t after = 0;
  for (const auto& [key, node] : root) {
    size_t end = node.source().end.line;
    if (end < first_header) after = std::max(after, end);
  }
  for (const auto& [key, value] : top.items()) {
    toml::table one;
    one.insert(key, value.get<std::string>());
    std::string formatted = Format(one);
    const toml::node* node = root.get(key);
    if (node == nullptr) {
      missing += formatted;
      continue;
    }
    toml::source_region at = node->source();
    if (!node->is_value() || at.begin.line != at.end.line || at.begin.line >= first_header)
      return std::nullopt;
    std::string& line = lines[at.begin.line - 1];
    size_t begin = ByteOffset(line, at.begin.column), end = ByteOffset(line, at.end.column);
    std::string value_text = formatted.substr(formatted.find(" = ") + 3);
    value_text.pop_back();  // its newline
    line.replace(begin, end - begin, value_text);
  }

  // keywarden's table: its sections (header to next header, less trailing
  // blank and comment lines) are dropped and the new section goes where the
  // first one was, else at the end.
  std::set<size_t> dropped;
  size_t insert_at = lines.size() + 1;
  const toml::node* node = &root;
  for (const std::string& key : path)
    node = node && node->is_table() ? node->as_table()->get(key) : nullptr;
  if (node != nullptr) {
    if (!node->is_table()) return std::nullopt;
    std::optional<std::set<size_t>> own = OwnHeaders(*node->as_table(), headers);
    if (!own) return std::nullopt;
    insert_at = *own->begin();
    for (size_t header : *own) {
      auto next = headers.upper_bound(header);
      size_t end = next == headers.end() ? lines.size() + 1 : *next;
      bool ours_next = next != headers.end() && own->contains(*next);
      while (!ours_next && end > header + 1 && BlankOrComment(lines[end - 2])) --end;
      for (size_t line = header; line < end; ++line) dropped.insert(line);
    }
  }

  std::string out;
  auto separate = [&] {
    if (!out.empty() && !out.ends_with("\n\n")) out += '\n';
  };
  if (after == 0 && !missing.empty()) out += missing + (lines.empty() ? "" : "\n");
  for (size_t line = 1; line <= lines.size(); ++line) {
    if (line == insert_at) {
      // A blank line between the section and whatever follows it.
      size_t next = line;
      while (next <= lines.size() && dropped.contains(next)) ++next;
      bool blank_follows =
          next <= lines.size() && lines[next - 1].find_first_not_of(" \t\r\n") == std::string::npos;
      out += section + (next > lines.size() || blank_follows ? "" : "\n");
    }
    if (!dropped.contains(line)) out += lines[line - 1];
    if (line == after && !missing.empty()) out += missing;
  }
  if (insert_at > lines.size()) {
    separate();
    out += section;
  }
  return out;
}

}  // namespace

Result<TomlEdit> UpsertToml(std::string_view text, const OrderedJson& top,
                            const std::vector<std::string>& table_path, const OrderedJson& table) {
  toml::table root;
  // toml++ reports errors only by throwing; they stop here.
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("line {}, column {}: {}", e.source().begin.line,
                            e.source().begin.column, e.description()));
  }
  toml::table expected = root;
  for (const auto& [key, value] : top.items())
    expected.insert_or_assign(key, value.get<std::string>());
  toml::table* parent = &expected;
  toml::table wrapper;
  toml::table* wrapper_parent = &wrapper;
  for (size_t i = 0; i + 1 < table_path.size(); ++i) {
    toml::node* node = parent->get(table_path[i]);
    if (node == nullptr)
      node = parent->insert(table_path[i], toml::table{}).first->second.as_table();
    if (!node->is_table())
      return Fail(ErrorCode::kConflict, "`" + table_path[i] + "` is not a table");
    parent = node->as_table();
    wrapper_parent = wrapper_parent->insert(table_path[i], toml::table{}).first->second.as_table();
  }
  parent->insert_or_assign(table_path.back(), ToTable(table));
  wrapper_parent->insert_or_assign(table_path.back(), ToTable(table));

  if (std::optional<std::string> spliced = Splice(text, root, top, table_path, Format(wrapper))) {
    try {
      if (toml::parse(*spliced) == expected) return TomlEdit{std::move(*spliced), false};
    } catch (const toml::parse_error&) {
      // Fall through to writing the whole document.
    }
  }
  return TomlEdit{Format(expected), true};
}

}  // namespace keywarden::cli::exporting
