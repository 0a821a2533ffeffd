// Private to the probe_*.cc files: lenient reads of catalogue data and of
// provider answers, where a missing or mistyped field is simply absent.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace keywarden::probe_json {

using Json = nlohmann::json;

inline const Json& Null() {
  static const Json kNull;
  return kNull;
}

// `object[key]`, or null when `object` is not an object or lacks `key`.
inline const Json& Member(const Json& object, const std::string& key) {
  if (!object.is_object()) return Null();
  auto it = object.find(key);
  return it == object.end() ? Null() : *it;
}

// `object[key]` when it is a string, else `fallback`.
inline std::string StringMember(const Json& object, const std::string& key,
                                std::string fallback = {}) {
  const Json& value = Member(object, key);
  return value.is_string() ? value.get<std::string>() : fallback;
}

}  // namespace keywarden::probe_json
