#include "reply.h"

#include <charconv>

#include "command.h"

namespace keywarden::cli {
namespace {

bool IsKind(const Json& value, Kind kind) {
  switch (kind) {
    case Kind::kString:
      return value.is_string();
    case Kind::kInteger:
      return value.is_number_integer();
    case Kind::kBoolean:
      return value.is_boolean();
    case Kind::kObject:
      return value.is_object();
    case Kind::kArray:
      return value.is_array();
  }
  return false;
}

// The value at `path`, or nullptr.
const Json* Find(const Json& root, std::string_view path) {
  const Json* at = &root;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string_view step = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (at->is_object()) {
      auto it = at->find(step);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else if (at->is_array()) {
      size_t index = 0;
      auto [end, error] = std::from_chars(step.data(), step.data() + step.size(), index);
      if (error != std::errc() || end != step.data() + step.size() || index >= at->size()) {
        return nullptr;
      }
      at = &(*at)[index];
    } else {
      return nullptr;
    }
  }
  return at;
}

}  // namespace

bool HasShape(const Json& reply, std::initializer_list<Field> fields) {
  if (!reply.is_object()) return false;
  for (const Field& field : fields) {
    const Json* value = Find(reply, field.path);
    if (value == nullptr || !IsKind(*value, field.kind)) return false;
  }
  return true;
}

bool EachHasShape(const Json& list, std::initializer_list<Field> fields) {
  if (!list.is_array()) return false;
  for (const Json& item : list) {
    if (!HasShape(item, fields)) return false;
  }
  return true;
}

const Json& Member(const Json& object, std::string_view key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string Text(const Json& value, std::string_view fallback) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return std::string(fallback);
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

int ReportUnexpectedReply() { return Report(UnexpectedReply()); }

}  // namespace keywarden::cli
