// JSON text handled without building a Json tree, for answers too large for
// one (`list --json` of 100,000 slots; docs/benchmarks.md). The text is checked
// for balanced brackets and closed strings only; scalars pass unchecked.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace keywarden {

// The end (one past) of the JSON value that starts at or after `at`
// (whitespace skipped); npos if it is cut short or its brackets do not match.
size_t SkipJsonValue(std::string_view text, size_t at);

// Walks the members of the object that starts at or after `at`: for each
// calls visit(key, where its value starts), which returns where the value
// ends (SkipJsonValue, or a deeper walk) or npos to give up. Returns the
// end of the object, npos if it is malformed.
size_t ForEachJsonMember(std::string_view text, size_t at,
                         const std::function<size_t(std::string_view key, size_t value_at)>& visit);

// The text of member `key` of the JSON object `object`; nullopt when
// `object` is no object or has no such member. Keys are compared as written,
// so a key spelled with escapes is not found.
std::optional<std::string_view> FindJsonMember(std::string_view object, std::string_view key);

// Indents one JSON value as Json::dump(2) prints it, from text that may
// arrive in pieces: for text that Json::dump wrote, the output equals
// Json::parse(text).dump(2).
class JsonIndenter {
 public:
  // Appends the indented form of `text` to `out`. Returns how many bytes of
  // `text` belong to the value: all of them until it ends, then fewer.
  size_t Feed(std::string_view text, std::string& out);
  // The whole value has been seen.
  bool done() const { return done_; }

 private:
  void Newline(std::string& out) const;

  size_t depth_ = 0;
  char open_ = 0;  // a `{` or `[` not yet written: `{}` and `[]` stay on one line
  bool in_string_ = false;
  bool escaped_ = false;    // in a string, just after a backslash
  bool in_scalar_ = false;  // a top-level number, true, false or null
  bool done_ = false;
};

}  // namespace keywarden
