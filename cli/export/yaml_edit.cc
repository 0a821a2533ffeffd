#include "export/yaml_edit.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "export/text_lines.h"
#include "keywarden/unicode.h"

namespace keywarden::cli::exporting {
namespace {

// Counts the documents in `text`, up to two. YAML::LoadAll never returns on
// some malformed input (a ',' at the top level yields empty documents
// without end), so documents are counted with a parser that stops early.
size_t CountDocuments(const std::string& text) {
  struct Ignore : YAML::EventHandler {
    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
  } ignore;
  std::istringstream in(text);
  YAML::Parser parser(in);
  size_t count = 0;
  while (count < 2 && parser.HandleNextDocument(ignore)) ++count;
  return count;
}

YAML::Node ToYaml(const OrderedJson& value) {
  if (value.is_object()) {
    YAML::Node node(YAML::NodeType::Map);
    for (const auto& [key, member] : value.items()) node[key] = ToYaml(member);
    return node;
  }
  if (value.is_array()) {
    YAML::Node node(YAML::NodeType::Sequence);
    bool scalars = true;
    for (const OrderedJson& element : value) {
      node.push_back(ToYaml(element));
      scalars = scalars && !element.is_structured();
    }
    if (scalars) node.SetStyle(YAML::EmitterStyle::Flow);
    return node;
  }
  return YAML::Node(value.is_string() ? value.get<std::string>() : value.dump());
}

std::string Emit(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetIndent(2);
  out << node;
  return out.c_str();
}

// `block` with `prefix` before each line, ending in a newline.
std::string Indent(std::string_view block, const std::string& prefix) {
  std::string out;
  for (std::string_view line : SplitLines(block)) out += prefix + std::string(line);
  if (!out.ends_with('\n')) out += '\n';
  return out;
}

// Splices `item` (an emitted one-item list, "- name: …") into the original
// text of `root`'s block list `list`: over item `index`, or after the last
// item. nullopt for layouts this does not handle.
std::optional<std::string> Splice(std::string_view text, const YAML::Node& root,
                                  const std::string& list, std::optional<size_t> index,
                                  const std::string& item) {
  std::vector<std::string_view> lines = SplitLines(text);
  auto join = [&](size_t from, size_t to) {
    std::string out;
    for (size_t i = from; i < to; ++i) out += lines[i];
    if (!out.empty() && !out.ends_with('\n')) out += '\n';
    return out;
  };
  const YAML::Node items = root[list];
  if (!items.IsDefined()) return join(0, lines.size()) + list + ":\n" + Indent(item, "  ");
  int key_line = -1, limit = static_cast<int>(lines.size());
  for (const auto& member : root) {
    if (member.first.Scalar() == list) key_line = member.first.Mark().line;
  }
  if (key_line < 0) return std::nullopt;
  if (items.IsNull()) {  // "models:" with nothing after it
    std::string_view rest = lines[key_line].substr(lines[key_line].find(':') + 1);
    if (!BlankOrComment(rest)) return std::nullopt;
    return join(0, key_line + 1) + Indent(item, "  ") + join(key_line + 1, lines.size());
  }
  if (!items.IsSequence() || items.Style() == YAML::EmitterStyle::Flow || items.size() == 0) {
    return std::nullopt;
  }
  std::vector<int> starts;
  size_t dash_indent = std::string_view::npos;
  for (const YAML::Node& element : items) {
    YAML::Mark mark = element.Mark();
    if (mark.line < 0 || mark.line >= static_cast<int>(lines.size())) return std::nullopt;
    std::string_view head = lines[mark.line].substr(0, mark.column);
    size_t dash = head.find_first_not_of(' ');
    if (dash == std::string_view::npos || head[dash] != '-' ||
        head.find_first_not_of(' ', dash + 1) != std::string_view::npos ||
        (dash_indent != std::string_view::npos && dash != dash_indent)) {
      return std::nullopt;
    }
    dash_indent = dash;
    starts.push_back(mark.line);
  }
  for (const auto& member : root) {
    int line = member.first.Mark().line;
    if (line > starts.back() && line < limit) limit = line;
  }
  // A key's mark is not always its line: an explicit key with nothing after
  // its `?` is marked where its value would start, past the `?` line (a
  // fuzz finding). Any line that starts at the left margin and is not one
  // of the list's items starts the next top-level entry.
  for (int line = starts.back() + 1; line < limit; ++line) {
    std::string_view text_line = lines[line];
    if (BlankOrComment(text_line) || text_line.starts_with(' ') || text_line.starts_with('\t')) {
      continue;
    }
    if (dash_indent == 0 && text_line.starts_with('-')) continue;
    limit = line;
    break;
  }
  // An item ends before the next one (or the next top-level key); blank and
  // comment lines just before that belong to what follows.
  auto end_of = [&](size_t i) {
    int end = i + 1 < starts.size() ? starts[i + 1] : limit;
    while (end > starts[i] + 1 && BlankOrComment(lines[end - 1])) --end;
    return static_cast<size_t>(end);
  };
  size_t from = index ? starts[*index] : end_of(starts.size() - 1);
  size_t to = index ? end_of(*index) : from;
  return join(0, from) + Indent(item, std::string(dash_indent, ' ')) + join(to, lines.size());
}

}  // namespace

Result<YamlEdit> UpsertYamlListItem(std::string_view text, const std::string& list,
                                    const std::string& match, const OrderedJson& item,
                                    const OrderedJson& skeleton) {
  // YAML is Unicode text without C0 control characters but tab, LF and CR
  // (YAML 1.2, 5.1-5.2). yaml-cpp reads such bytes anyway (a NUL ends its
  // input) and a merge could then write a file it reads differently.
  for (size_t at = 0; at < text.size();) {
    std::optional<DecodedChar> decoded = DecodeUtf8(text, at);
    const auto line = [&] {
      return std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(at), '\n') + 1;
    };
    if (!decoded)
      return Fail(ErrorCode::kInvalidArgument, fmt::format("line {}: not UTF-8 text", line()));
    const char32_t c = decoded->code_point;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("line {}: control character U+{:04X} (not allowed in YAML)", line(),
                              static_cast<uint32_t>(c)));
    }
    at += decoded->length;
  }
  YAML::Node root;
  // yaml-cpp reports errors only by throwing; they stop here.
  try {
    if (CountDocuments(std::string(text)) > 1)
      return Fail(ErrorCode::kConflict, "it holds more than one YAML document");
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  // Keys are unique in a YAML mapping; yaml-cpp keeps both of a repeated
  // top-level key, and which one a merge edits would be a guess.
  if (root.IsMap()) {
    std::set<std::string> keys;
    for (const auto& member : root) {
      if (!member.first.IsScalar()) continue;
      if (!keys.insert(member.first.Scalar()).second) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("line {}: key '{}' appears twice", member.first.Mark().line + 1,
                                member.first.Scalar()));
      }
    }
  }
  YAML::Node entry = ToYaml(item);
  YAML::Node one(YAML::NodeType::Sequence);
  one.push_back(entry);
  if (!root.IsDefined() || root.IsNull()) {  // a new, empty or comments-only file
    YAML::Node document = ToYaml(skeleton);
    document[list] = one;
    const std::string intended = Emit(document);
    std::string out(text);
    if (!out.empty() && !out.ends_with('\n')) out += '\n';
    out += intended + "\n";
    // Appending keeps the comments, but is wrong after a document that is
    // not empty yet null (`~`, `null`, stray bytes yaml-cpp reads as none).
    try {
      if (Emit(YAML::Load(out)) == intended) return YamlEdit{std::move(out), false};
    } catch (const YAML::Exception&) {
      // Fall through to writing the document alone.
    }
    return YamlEdit{intended + "\n", true};
  }
  if (!root.IsMap()) return Fail(ErrorCode::kConflict, "the top level is not a mapping");
  const YAML::Node& const_root = root;
  const YAML::Node items = const_root[list];
  // A missing key gives an invalid node, on which every type test throws.
  const bool listed = items.IsDefined() && items.IsSequence();
  if (items.IsDefined() && !items.IsNull() && !listed) {
    return Fail(ErrorCode::kConflict, "`" + list + "` is not a list");
  }
  std::optional<size_t> index;
  const std::string wanted = item.at(match).get<std::string>();
  for (size_t i = 0; listed && i < items.size(); ++i) {
    const YAML::Node key = items[i].IsMap() ? items[i][match] : YAML::Node();
    if (key.IsDefined() && key.IsScalar() && key.Scalar() == wanted) index = i;
  }

  YAML::Node expected = YAML::Clone(root);
  if (!listed) {
    expected[list] = one;
  } else if (index) {
    expected[list][*index] = entry;
  } else {
    expected[list].push_back(entry);
  }
  expected[list].SetStyle(YAML::EmitterStyle::Block);  // `models: []` grows into a block list
  const std::string intended = Emit(expected);
  if (std::optional<std::string> spliced = Splice(text, root, list, index, Emit(one))) {
    try {
      if (Emit(YAML::Load(*spliced)) == intended) return YamlEdit{std::move(*spliced), false};
    } catch (const YAML::Exception&) {
      // Fall through to re-emitting the whole document.
    }
  }
  // yaml-cpp does not always read back what it writes (say, keys holding
  // control characters or bytes that are not UTF-8); never write such a file.
  // The check reads the file as written, newline included: a value ending
  // in a CR reads back only without it.
  try {
    std::string rewritten = intended + "\n";
    if (Emit(YAML::Load(rewritten)) == intended) return YamlEdit{std::move(rewritten), true};
  } catch (const YAML::Exception&) {
    // Refused below.
  }
  return Fail(ErrorCode::kConflict, "it cannot be re-written so that it still parses",
              "edit the file by hand, or move it away and export again");
}

}  // namespace keywarden::cli::exporting
