#include "keywarden/json_text.h"

#include <string>

namespace keywarden {
namespace {

constexpr size_t npos = std::string_view::npos;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t SkipSpace(std::string_view text, size_t at) {
  while (at < text.size() && IsSpace(text[at])) ++at;
  return at;
}

// The end of the string whose opening quote is at `at`; npos if unclosed.
size_t SkipString(std::string_view text, size_t at) {
  for (size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return npos;
}

}  // namespace

size_t SkipJsonValue(std::string_view text, size_t at) {
  at = SkipSpace(text, at);
  const size_t start = at;
  std::string closers;  // the brackets still open, innermost last
  while (at < text.size()) {
    char c = text[at];
    if (c == '"') {
      at = SkipString(text, at);
      if (at == npos) return npos;
    } else if (c == '{' || c == '[') {
      closers.push_back(c == '{' ? '}' : ']');
      ++at;
    } else if (c == '}' || c == ']') {
      if (closers.empty()) return at > start ? at : npos;  // closes what holds a scalar
      if (closers.back() != c) return npos;
      closers.pop_back();
      ++at;
    } else if (c == ',' || c == ':' || IsSpace(c)) {
      if (closers.empty()) return at > start ? at : npos;  // a top-level scalar ends here
      ++at;
    } else {
      ++at;  // a scalar's characters
    }
    if (closers.empty() && (c == '"' || c == '}' || c == ']')) return at;
  }
  return closers.empty() && at > start ? at : npos;
}

size_t ForEachJsonMember(std::string_view text, size_t at,
                         const std::function<size_t(std::string_view, size_t)>& visit) {
  at = SkipSpace(text, at);
  if (at >= text.size() || text[at] != '{') return npos;
  at = SkipSpace(text, at + 1);
  if (at < text.size() && text[at] == '}') return at + 1;
  while (at < text.size() && text[at] == '"') {
    size_t key_end = SkipString(text, at);
    if (key_end == npos) return npos;
    std::string_view key = text.substr(at + 1, key_end - at - 2);
    at = SkipSpace(text, key_end);
    if (at >= text.size() || text[at] != ':') return npos;
    at = visit(key, SkipSpace(text, at + 1));
    if (at == npos) return npos;
    at = SkipSpace(text, at);
    if (at < text.size() && text[at] == '}') return at + 1;
    if (at >= text.size() || text[at] != ',') return npos;
    at = SkipSpace(text, at + 1);
  }
  return npos;
}

std::optional<std::string_view> FindJsonMember(std::string_view object, std::string_view key) {
  std::optional<std::string_view> found;
  size_t end = ForEachJsonMember(object, 0, [&](std::string_view name, size_t value_at) {
    size_t value_end = SkipJsonValue(object, value_at);
    if (name == key && value_end != npos) found = object.substr(value_at, value_end - value_at);
    return value_end;
  });
  if (end == npos) return std::nullopt;
  return found;
}

void WriteIndentedJson(std::string_view json, const std::function<void(std::string_view)>& sink) {
  constexpr size_t kPiece = 64 * 1024;
  std::string out;
  out.reserve(kPiece + 4096);
  size_t depth = 0;
  auto newline = [&] {
    out.push_back('\n');
    out.append(2 * depth, ' ');
  };
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    switch (c) {
      case '"': {
        size_t end = SkipString(json, i);
        if (end == npos) end = json.size();
        out.append(json.substr(i, end - i));
        i = end - 1;
        break;
      }
      case '{':
      case '[': {
        size_t next = SkipSpace(json, i + 1);
        if (next < json.size() && json[next] == (c == '{' ? '}' : ']')) {
          out.push_back(c);
          out.push_back(json[next]);
          i = next;
          break;
        }
        out.push_back(c);
        ++depth;
        newline();
        break;
      }
      case '}':
      case ']':
        if (depth > 0) --depth;
        newline();
        out.push_back(c);
        break;
      case ',':
        out.push_back(',');
        newline();
        break;
      case ':':
        out.append(": ");
        break;
      case ' ':
      case '\t':
      case '\n':
      case '\r':
        break;
      default:
        out.push_back(c);
    }
    if (out.size() >= kPiece) {
      sink(out);
      out.clear();
    }
  }
  if (!out.empty()) sink(out);
}

}  // namespace keywarden
