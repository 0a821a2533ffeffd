#include "export/jsonc.h"

#include <algorithm>
#include <numeric>
#include <tuple>

#include "export/jsonc_parser.h"
#include "keywarden/secret.h"

namespace keywarden::cli::exporting {
namespace {

using Node = JsoncDocument::Node;
using Edit = std::tuple<size_t, size_t, std::string>;

// {"a": {"b": value}} for path[from..] = {"a", "b"}.
OrderedJson Nest(const std::vector<std::string>& path, size_t from, const OrderedJson& value) {
  OrderedJson out = value;
  for (size_t i = path.size(); i-- > from;) {
    OrderedJson object = OrderedJson::object();
    object[path[i]] = std::move(out);
    out = std::move(object);
  }
  return out;
}

std::string Quote(const std::string& key) { return OrderedJson(key).dump(); }

std::string PathText(const std::vector<std::string>& path, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += "/" + path[i];
  return out.empty() ? "the top level" : out;
}

size_t LineStart(std::string_view text, size_t offset) {
  size_t newline = offset == 0 ? std::string_view::npos : text.rfind('\n', offset - 1);
  return newline == std::string_view::npos ? 0 : newline + 1;
}

// True when only spaces and tabs precede `offset` on its line.
bool FirstOnLine(std::string_view text, size_t offset) {
  std::string_view before = text.substr(LineStart(text, offset), offset - LineStart(text, offset));
  return before.find_first_not_of(" \t") == std::string_view::npos;
}

}  // namespace

JsoncDocument::JsoncDocument(JsoncDocument&&) noexcept = default;
JsoncDocument& JsoncDocument::operator=(JsoncDocument&&) noexcept = default;
// The text may hold a secret (Cline's providers.json, Roo's import file).
JsoncDocument::~JsoncDocument() { Wipe(text_); }

Result<JsoncDocument> JsoncDocument::Parse(std::string text, bool comments) {
  Result<ParsedJsonc> parsed = ParseJsonc(text, comments);
  if (!parsed) return std::unexpected(parsed.error());
  JsoncDocument doc;
  doc.text_ = std::move(text);
  doc.comments_ = comments;
  doc.root_ = std::move(parsed->root);
  doc.value_ = std::move(parsed->value);
  // One level of indentation: what the root's first member has beyond the root.
  if (doc.root_->kind == Node::Kind::kObject && !doc.root_->members.empty()) {
    size_t key = doc.root_->members.front().key_begin;
    std::string inner = doc.LineIndent(key), outer = doc.LineIndent(doc.root_->begin);
    if (FirstOnLine(doc.text_, key) && inner.size() > outer.size())
      doc.unit_ = inner.substr(outer.size());
  }
  return doc;
}

std::string JsoncDocument::LineIndent(size_t offset) const {
  size_t start = LineStart(text_, offset);
  size_t end = text_.find_first_not_of(" \t", start);
  return text_.substr(start, std::min(end, offset) - start);
}

std::string JsoncDocument::Format(const OrderedJson& value, const std::string& indent) const {
  std::string dumped = value.dump(static_cast<int>(unit_.size()), unit_.empty() ? ' ' : unit_[0],
                                  false, OrderedJson::error_handler_t::replace);
  std::string out;
  for (char c : dumped) {
    out += c;
    if (c == '\n') out += indent;
  }
  return out;
}

Status JsoncDocument::Apply(std::vector<Edit> edits, const OrderedJson& expected) {
  // Back to front; of two insertions at one offset the later-listed goes in
  // first, so the text ends up in list order.
  // (std::sort on indices: libstdc++ 12's stable_sort calls its own
  // deprecated get_temporary_buffer, which clang reports.)
  std::vector<size_t> order(edits.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&edits](size_t a, size_t b) {
    const size_t at_a = std::get<0>(edits[a]), at_b = std::get<0>(edits[b]);
    return at_a != at_b ? at_a > at_b : a > b;
  });
  std::string text = text_;
  for (size_t i : order) {
    const auto& [begin, end, replacement] = edits[i];
    text.replace(begin, end - begin, replacement);
  }
  Result<ParsedJsonc> parsed = ParseJsonc(text, comments_);
  // A failed check here is a bug in the edit, never the user's file.
  if (!parsed || parsed->value != expected) {
    return Fail(ErrorCode::kInternal, "editing the JSON text gave an unexpected result");
  }
  Wipe(text_);
  text_ = std::move(text);
  root_ = std::move(parsed->root);
  value_ = std::move(parsed->value);
  return {};
}

Status JsoncDocument::Set(const std::vector<std::string>& path, const OrderedJson& value) {
  OrderedJson expected = value_;
  OrderedJson* slot = &expected;
  Node* node = root_.get();
  for (size_t i = 0; i < path.size(); ++i) {
    if (node->kind != Node::Kind::kObject) {
      return Fail(ErrorCode::kInvalidArgument, PathText(path, i) + " is not an object");
    }
    Node::Member* member = node->Find(path[i]);
    if (member == nullptr) {
      OrderedJson added = Nest(path, i + 1, value);
      (*slot)[path[i]] = added;
      return Apply(InsertMember(*node, path[i], added), expected);
    }
    slot = &(*slot)[path[i]];
    if (i + 1 == path.size()) {
      if (*slot == value) return {};
      *slot = value;
      std::string indent = LineIndent(member->key_begin);
      return Apply({{member->value->begin, member->value->end, Format(value, indent)}}, expected);
    }
    node = member->value.get();
  }
  return Fail(ErrorCode::kInvalidArgument, "an empty path names no member");
}

std::vector<Edit> JsoncDocument::InsertMember(const Node& object, const std::string& key,
                                              const OrderedJson& value) const {
  size_t close = object.end - 1;
  std::string outer = LineIndent(object.begin);
  if (object.members.empty()) {
    std::string inner = outer + unit_;
    std::string member = Quote(key) + ": " + Format(value, inner);
    std::string_view inside =
        std::string_view(text_).substr(object.begin + 1, close - object.begin - 1);
    if (inside.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return {{object.begin + 1, close, "\n" + inner + member + "\n" + outer}};
    }
    // Only comments inside: they stay, after the new member.
    return {{object.begin + 1, object.begin + 1, "\n" + inner + member + ","}};
  }
  const Node::Member& last = object.members.back();
  size_t after = SkipBlank(text_, last.value->end, comments_);
  bool trailing_comma = after < text_.size() && text_[after] == ',';
  if (text_.find('\n', object.begin) > close) {  // a one-line object stays on one line
    std::string member = Quote(key) + ": " + value.dump();
    if (trailing_comma) return {{after + 1, after + 1, " " + member}};
    return {{last.value->end, last.value->end, ", " + member}};
  }
  std::string indent =
      FirstOnLine(text_, last.key_begin) ? LineIndent(last.key_begin) : outer + unit_;
  std::string member = Quote(key) + ": " + Format(value, indent);
  std::vector<Edit> edits;
  if (!trailing_comma) edits.emplace_back(last.value->end, last.value->end, ",");
  size_t close_line = LineStart(text_, close);
  if (FirstOnLine(text_, close) && close_line > last.value->end) {
    edits.emplace_back(close_line, close_line, indent + member + "\n");
  } else {
    edits.emplace_back(close, close, "\n" + indent + member + "\n" + outer);
  }
  return edits;
}

Status JsoncDocument::Remove(const std::vector<std::string>& path) {
  if (path.empty()) return Fail(ErrorCode::kInvalidArgument, "an empty path names no member");
  OrderedJson expected = value_;
  OrderedJson* parent = &expected;
  Node* node = root_.get();
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    Node::Member* member = node->kind == Node::Kind::kObject ? node->Find(path[i]) : nullptr;
    if (member == nullptr) return {};
    node = member->value.get();
    parent = &(*parent)[path[i]];
  }
  if (node->kind != Node::Kind::kObject) return {};
  const std::string& key = path.back();
  auto& members = node->members;
  size_t count =
      std::count_if(members.begin(), members.end(), [&](const auto& m) { return m.key == key; });
  if (count == 0) return {};
  if (count > 1) {
    return Fail(ErrorCode::kInvalidArgument,
                PathText(path, path.size()) + " appears more than once; remove the copies by hand");
  }
  size_t index =
      std::find_if(members.begin(), members.end(), [&](const auto& m) { return m.key == key; }) -
      members.begin();
  parent->erase(key);
  return Apply(RemoveEdits(*node, index), expected);
}

std::vector<Edit> JsoncDocument::RemoveEdits(const Node& object, size_t index) const {
  const Node::Member& member = object.members[index];
  size_t begin = member.key_begin, end = member.value->end;
  bool own_line = FirstOnLine(text_, begin);
  size_t after = SkipBlank(text_, end, comments_);
  if (after < text_.size() && text_[after] == ',') {
    // The member's own comma follows: remove through it, and through the end
    // of the line when nothing else is on it.
    size_t stop = after + 1;
    size_t p = text_.find_first_not_of(" \t", stop);
    if (comments_ && p != std::string::npos && text_.compare(p, 2, "//") == 0)
      p = text_.find('\n', p);
    if (own_line && p != std::string::npos && text_[p] == '\n')
      return {{LineStart(text_, begin), p + 1, ""}};
    return {{begin, stop, ""}};
  }
  if (index > 0) {
    // The last member: the comma before it goes instead.
    size_t comma = SkipBlank(text_, object.members[index - 1].value->end, comments_);
    size_t start =
        own_line && LineStart(text_, begin) > comma + 1 ? LineStart(text_, begin) - 1 : begin;
    return {{comma, comma + 1, ""}, {start, end, ""}};
  }
  if (own_line && end < text_.size() && text_[end] == '\n')
    return {{LineStart(text_, begin), end + 1, ""}};
  return {{begin, end, ""}};
}

}  // namespace keywarden::cli::exporting
