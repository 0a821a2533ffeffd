// Checked reads of the daemon's replies. A reply that is well-formed JSON
// but not of the shape its method promises (docs/protocol.md) is reported
// as "unexpected reply from the daemon" (exit 1), never thrown on: the
// socket may be served by a daemon of another version, or by anything.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "keywarden/protocol.h"
#include "keywarden/secret_json.h"

namespace keywarden::cli {

enum class Kind { kString, kInteger, kBoolean, kObject, kArray };

// One member a reply must hold: `path` is member names (or array indexes)
// joined by '.', e.g. "slot.versions.0.fingerprint".
struct Field {
  std::string_view path;
  Kind kind;
};

// True when `reply` is an object and each field's path leads to a value of
// its kind.
bool HasShape(const Json& reply, std::initializer_list<Field> fields);
// True when `list` is an array of objects that each HasShape `fields`.
bool EachHasShape(const Json& list, std::initializer_list<Field> fields);

// Member `key` of `object`; null when `object` is no object or lacks it.
const Json& Member(const Json& object, std::string_view key);
// A string as is, null as `fallback`, anything else as its JSON text.
std::string Text(const Json& value, std::string_view fallback = "-");

// Prints UnexpectedReply() and returns its exit code (1).
int ReportUnexpectedReply();

}  // namespace keywarden::cli
