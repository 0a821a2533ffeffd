// Strict, exception-free reading of the JSON files keywarden owns the format
// of (config.json, providers.json). Every error is kInvalidArgument and names
// the field path, e.g. "validation.retry_min: expected a string, got a number".
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "keywarden/status.h"

namespace keywarden::json_read {

using Json = nlohmann::json;

// Parses a whole document; the error says where it broke ("at line 3, column 5").
Result<Json> Parse(std::string_view text);

// "a string", "a number", "an object", ... for messages.
std::string_view TypeName(const Json& value);

// Join("validation", "retry_min") == "validation.retry_min"; Join("", "x") == "x".
std::string Join(std::string_view path, std::string_view key);

// "<path>: expected <expected>, got <TypeName(got)>".
std::unexpected<Error> WrongType(std::string_view path, std::string_view expected, const Json& got);
// "<path>: <problem>".
std::unexpected<Error> Invalid(std::string_view path, std::string_view problem);

// Checks that `value` is an object and that each of its keys is in `known`;
// an unknown key is reported as "<path>.<key>: unknown field".
Status CheckObject(const Json& value, std::string_view path,
                   std::initializer_list<std::string_view> known);

Result<std::string> String(const Json& value, std::string_view path);
Result<bool> Bool(const Json& value, std::string_view path);
// An integer in [min, max]; floats such as 8.0 are rejected.
Result<int64_t> Integer(const Json& value, std::string_view path, int64_t min, int64_t max);
// An object whose values are all strings.
Result<std::map<std::string, std::string>> StringMap(const Json& value, std::string_view path);
// A non-empty array of strings.
Result<std::vector<std::string>> StringList(const Json& value, std::string_view path);

}  // namespace keywarden::json_read
