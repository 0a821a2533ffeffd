#include "export/jsonc_parser.h"

#include <fmt/format.h>

namespace keywarden::cli::exporting {
namespace {

using Node = JsoncDocument::Node;
constexpr int kMaxDepth = 128;
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// Thrown only inside this file and caught in ParseJsonc.
struct SyntaxError {
  size_t offset;
  std::string what;
};

class Parser {
 public:
  Parser(std::string_view text, bool comments) : text_(text), comments_(comments) {}

  ParsedJsonc Document() {
    ParsedJsonc out;
    out.root = std::make_unique<Node>();
    // A UTF-8 byte order mark (Windows editors write one) is kept in the
    // text and skipped like whitespace.
    pos_ = SkipSpace(text_.starts_with(kByteOrderMark) ? kByteOrderMark.size() : 0);
    out.value = Value(*out.root, 0);
    pos_ = SkipSpace(pos_);
    if (pos_ != text_.size()) throw SyntaxError{pos_, "expected the end of the document"};
    return out;
  }

  size_t SkipSpace(size_t p) const {
    while (p < text_.size()) {
      char c = text_[p];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++p;
      } else if (comments_ && text_.substr(p, 2) == "//") {
        size_t eol = text_.find('\n', p);
        p = eol == std::string_view::npos ? text_.size() : eol;
      } else if (comments_ && text_.substr(p, 2) == "/*") {
        size_t close = text_.find("*/", p + 2);
        if (close == std::string_view::npos) throw SyntaxError{p, "unterminated comment"};
        p = close + 2;
      } else {
        break;
      }
    }
    return p;
  }

 private:
  OrderedJson Value(Node& node, int depth) {
    if (depth > kMaxDepth) throw SyntaxError{pos_, "nested too deeply"};
    if (pos_ >= text_.size()) throw SyntaxError{pos_, "expected a value"};
    node.begin = pos_;
    OrderedJson value;
    switch (text_[pos_]) {
      case '{':
        value = Object(node, depth);
        break;
      case '[':
        value = Array(node, depth);
        break;
      case '"':
        value = String();
        break;
      default:
        value = Literal();
        break;
    }
    node.end = pos_;
    return value;
  }

  OrderedJson Object(Node& node, int depth) {
    node.kind = Node::Kind::kObject;
    OrderedJson value = OrderedJson::object();
    ++pos_;
    for (bool first = true;; first = false) {
      pos_ = SkipSpace(pos_);
      if (Peek('}') && (first || comments_)) break;
      if (!Peek('"')) throw SyntaxError{pos_, first ? "expected a key or '}'" : "expected a key"};
      Node::Member member;
      member.key_begin = pos_;
      member.key = String().get<std::string>();
      pos_ = SkipSpace(pos_);
      if (!Peek(':')) throw SyntaxError{pos_, "expected ':'"};
      pos_ = SkipSpace(pos_ + 1);
      member.value = std::make_unique<Node>();
      value[member.key] = Value(*member.value, depth + 1);
      node.members.push_back(std::move(member));
      pos_ = SkipSpace(pos_);
      if (Peek(',')) {
        ++pos_;
        continue;
      }
      if (!Peek('}')) throw SyntaxError{pos_, "expected ',' or '}'"};
      break;
    }
    ++pos_;
    return value;
  }

  OrderedJson Array(Node& node, int depth) {
    node.kind = Node::Kind::kArray;
    OrderedJson value = OrderedJson::array();
    ++pos_;
    for (bool first = true;; first = false) {
      pos_ = SkipSpace(pos_);
      if (Peek(']') && (first || comments_)) break;
      Node item;
      value.push_back(Value(item, depth + 1));
      pos_ = SkipSpace(pos_);
      if (Peek(',')) {
        ++pos_;
        continue;
      }
      if (!Peek(']')) throw SyntaxError{pos_, "expected ',' or ']'"};
      break;
    }
    ++pos_;
    return value;
  }

  // A string token, decoded by nlohmann (escapes, \u surrogates, UTF-8).
  OrderedJson String() {
    size_t start = pos_++;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\n') break;
      pos_ += text_[pos_] == '\\' ? 2 : 1;
    }
    if (pos_ >= text_.size() || text_[pos_] != '"') throw SyntaxError{start, "unterminated string"};
    ++pos_;
    return Token(start);
  }

  // A number, true, false or null.
  OrderedJson Literal() {
    size_t start = pos_;
    while (pos_ < text_.size() && std::string_view("+-.0123456789eEaflnrstu").find(text_[pos_]) !=
                                      std::string_view::npos) {
      ++pos_;
    }
    if (pos_ == start) throw SyntaxError{start, "expected a value"};
    return Token(start);
  }

  OrderedJson Token(size_t start) {
    OrderedJson value = OrderedJson::parse(text_.substr(start, pos_ - start), nullptr, false);
    if (value.is_discarded()) throw SyntaxError{start, "invalid value"};
    return value;
  }

  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  std::string_view text_;
  bool comments_;
  size_t pos_ = 0;
};

}  // namespace

Node::Member* Node::Find(std::string_view key) {
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (it->key == key) return &*it;
  }
  return nullptr;
}

size_t SkipBlank(std::string_view text, size_t offset, bool comments) {
  try {
    return Parser(text, comments).SkipSpace(offset);
  } catch (const SyntaxError&) {
    return text.size();
  }
}

Result<ParsedJsonc> ParseJsonc(std::string_view text, bool comments) {
  try {
    return Parser(text, comments).Document();
  } catch (const SyntaxError& e) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < e.offset && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("line {}, column {}: {}", line, column, e.what));
  }
}

}  // namespace keywarden::cli::exporting
