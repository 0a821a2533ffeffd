#include "keywarden/json_text.h"

#include <array>
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

namespace {

// The characters that end a run of scalar characters (a number, true,
// false or null): the structure and whitespace.
constexpr std::array<bool, 256> kEndsScalar = [] {
  std::array<bool, 256> ends{};
  for (unsigned char c : std::string_view(",:{}[]\" \t\n\r")) ends[c] = true;
  return ends;
}();

bool EndsScalar(char c) { return kEndsScalar[static_cast<unsigned char>(c)]; }

}  // namespace

size_t JsonIndenter::Feed(std::string_view text, std::string& out) {
  // Character by character, as a loop of our own: find_first_of and
  // per-character appends dominated the CLI's time over a large list
  // (docs/benchmarks.md).
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char* p = begin;
  while (p < end && !done_) {
    if (in_string_) {  // copied as is, up to its closing quote
      const char* const start = p;
      while (p < end) {
        const char c = *p++;
        if (escaped_) {
          escaped_ = false;
        } else if (c == '\\') {
          escaped_ = true;
        } else if (c == '"') {
          in_string_ = false;
          break;
        }
      }
      out.append(start, static_cast<size_t>(p - start));
      done_ = !in_string_ && depth_ == 0;
      continue;
    }
    const char c = *p;
    if (in_scalar_ && depth_ == 0 && (IsSpace(c) || c == ',' || c == ']' || c == '}')) {
      done_ = true;  // a top-level number, true, false or null ended
      break;
    }
    ++p;
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
      default: {
        in_scalar_ = depth_ == 0;
        // The rest of the scalar in one append; a top-level one is ended
        // by the check above, at the next pass.
        const char* const start = p - 1;
        while (p < end && !EndsScalar(*p)) ++p;
        out.append(start, static_cast<size_t>(p - start));
      }
    }
  }
  return static_cast<size_t>(p - begin);
}

void JsonIndenter::Newline(std::string& out) const {
  // A newline and the indentation in one append, up to 32 levels deep.
  static constexpr std::string_view kIndent =
      "\n                                                                ";
  const size_t width = 1 + 2 * depth_;
  if (width <= kIndent.size()) {
    out.append(kIndent.substr(0, width));
    return;
  }
  out.push_back('\n');
  out.append(2 * depth_, ' ');
}

}  // namespace keywarden
