#include "keywarden/json_text.h"

#include <string>
#include <utility>

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

size_t JsonIndenter::Feed(std::string_view text, std::string& out) {
  size_t i = 0;
  while (i < text.size() && !done_) {
    if (in_string_) {  // copied as is, up to its closing quote
      const size_t start = i;
      while (i < text.size()) {
        if (escaped_) {
          escaped_ = false;
          ++i;
          continue;
        }
        const size_t stop = text.find_first_of("\\\"", i);
        if (stop == npos) {
          i = text.size();
        } else if (text[stop] == '\\') {
          escaped_ = true;
          i = stop + 1;
        } else {
          in_string_ = false;
          i = stop + 1;
          break;
        }
      }
      out.append(text.substr(start, i - start));
      done_ = !in_string_ && depth_ == 0;
      continue;
    }
    const char c = text[i];
    if (in_scalar_ && depth_ == 0 && (IsSpace(c) || c == ',' || c == ']' || c == '}')) {
      done_ = true;  // a top-level number, true, false or null ended
      break;
    }
    ++i;
    if (IsSpace(c)) continue;
    if (open_) {
      const char opened = std::exchange(open_, 0);
      out.push_back(opened);
      if (c == (opened == '{' ? '}' : ']')) {  // empty: `[]` or `{}` on one line
        out.push_back(c);
        done_ = depth_ == 0;
        continue;
      }
      ++depth_;
      Newline(out);
    }
    switch (c) {
      case '"':
        in_string_ = true;
        out.push_back(c);
        break;
      case '{':
      case '[':
        open_ = c;  // written with the next character, which may close it
        break;
      case '}':
      case ']':
        if (depth_ > 0) --depth_;
        Newline(out);
        out.push_back(c);
        done_ = depth_ == 0;
        break;
      case ',':
        out.push_back(',');
        Newline(out);
        break;
      case ':':
        out.append(": ");
        break;
      default:
        in_scalar_ = depth_ == 0;
        out.push_back(c);
    }
  }
  return i;
}

void JsonIndenter::Newline(std::string& out) const {
  out.push_back('\n');
  out.append(2 * depth_, ' ');
}

}  // namespace keywarden
