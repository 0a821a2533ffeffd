// Structured, journald-friendly logging to stderr: one line per record,
// "<priority>message key=value ...". Never pass a secret: values are
// fingerprints, refs, codes and numbers.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace keywarden::log {

enum class Level { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6, kDebug = 7 };

using Field = std::pair<std::string_view, std::string>;

// Writes one record. Under journald (JOURNAL_STREAM set) the priority is
// sent as a "<N>" prefix; otherwise as a word ("warning: ").
void Write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void Error(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kError, m, f);
}
inline void Warning(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kWarning, m, f);
}
inline void Notice(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kNotice, m, f);
}
inline void Info(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, m, f);
}

}  // namespace keywarden::log
