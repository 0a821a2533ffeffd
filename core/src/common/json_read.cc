#include "common/json_read.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace keywarden::json_read {
namespace {

// Finds where a document that failed to parse went wrong. Only the
// parse_error callback matters; the rest accept everything.
class ErrorLocator : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    // what() is "[json.exception.parse_error.101] parse error at line 1, ...".
    std::string_view what = ex.what();
    size_t bracket = what.find("] ");
    message_ = bracket == std::string_view::npos ? what : what.substr(bracket + 2);
    return false;
  }

  const std::string& message() const { return message_; }

 private:
  std::string message_ = "parse error";
};

// An object or array being parsed, for naming a duplicate key.
struct Frame {
  std::string path;
  bool is_array = false;
  std::string last_key;
  std::set<std::string> keys;
};

}  // namespace

Result<Json> Parse(std::string_view text) {
  // nlohmann's lexer takes a NUL byte for the end of input: whatever
  // follows it would be ignored unseen.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                "not valid JSON: a NUL byte at offset " + std::to_string(nul));
  }
  // nlohmann keeps the last of duplicate keys; the first one found is an
  // error instead, named by its path.
  std::vector<Frame> frames;
  std::string duplicate;
  Json::parser_callback_t check_keys = [&](int, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start: {
        std::string path;
        if (!frames.empty()) {
          path = frames.back().is_array ? frames.back().path + "[]"
                                        : Join(frames.back().path, frames.back().last_key);
        }
        frames.push_back({std::move(path), event == Json::parse_event_t::array_start, {}, {}});
        break;
      }
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!frames.empty()) frames.pop_back();
        break;
      case Json::parse_event_t::key: {
        Frame& frame = frames.back();
        frame.last_key = parsed.get<std::string>();
        if (!frame.keys.insert(frame.last_key).second && duplicate.empty()) {
          duplicate = Join(frame.path, frame.last_key);
        }
        break;
      }
      case Json::parse_event_t::value:
        break;
    }
    return true;
  };
  Json doc = Json::parse(text, check_keys, /*allow_exceptions=*/false);
  if (!doc.is_discarded()) {
    if (!duplicate.empty()) return Invalid(duplicate, "duplicate key");
    return doc;
  }
  ErrorLocator locator;
  Json::sax_parse(text, &locator);
  return Fail(ErrorCode::kInvalidArgument, "not valid JSON: " + locator.message());
}

std::string_view TypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "true/false";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "a number";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    default:
      return "an unsupported value";
  }
}

std::string Join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string joined(path);
  joined += '.';
  joined += key;
  return joined;
}

std::unexpected<Error> WrongType(std::string_view path, std::string_view expected,
                                 const Json& got) {
  return Invalid(path, "expected " + std::string(expected) + ", got " + std::string(TypeName(got)));
}

std::unexpected<Error> Invalid(std::string_view path, std::string_view problem) {
  return Fail(ErrorCode::kInvalidArgument, std::string(path) + ": " + std::string(problem));
}

Status CheckObject(const Json& value, std::string_view path,
                   std::initializer_list<std::string_view> known) {
  if (!value.is_object()) return WrongType(path, "an object", value);
  for (const auto& [key, unused] : value.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string names;
      for (std::string_view k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      return Fail(ErrorCode::kInvalidArgument, Join(path, key) + ": unknown field",
                  "known fields here: " + names);
    }
  }
  return {};
}

Result<std::string> String(const Json& value, std::string_view path) {
  if (!value.is_string()) return WrongType(path, "a string", value);
  return value.get_ref<const std::string&>();
}

Result<bool> Bool(const Json& value, std::string_view path) {
  if (!value.is_boolean()) return WrongType(path, "true or false", value);
  return value.get_ref<const bool&>();
}

Result<int64_t> Integer(const Json& value, std::string_view path, int64_t min, int64_t max) {
  std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (value.is_number_float()) return Invalid(path, "expected " + range + ", got " + value.dump());
  if (!value.is_number_integer()) return WrongType(path, range, value);
  // nlohmann stores non-negative integers as unsigned; one above INT64_MAX
  // must not wrap into range.
  if (value.is_number_unsigned() &&
      value.get_ref<const Json::number_unsigned_t&>() > static_cast<uint64_t>(max)) {
    return Invalid(path, "expected " + range + ", got " + value.dump());
  }
  int64_t n = value.is_number_unsigned()
                  ? static_cast<int64_t>(value.get_ref<const Json::number_unsigned_t&>())
                  : value.get_ref<const Json::number_integer_t&>();
  if (n < min || n > max) return Invalid(path, "expected " + range + ", got " + std::to_string(n));
  return n;
}

Result<std::map<std::string, std::string>> StringMap(const Json& value, std::string_view path) {
  if (!value.is_object()) return WrongType(path, "an object of strings", value);
  std::map<std::string, std::string> out;
  for (const auto& [key, item] : value.items()) {
    auto text = String(item, Join(path, key));
    if (!text) return std::unexpected(text.error());
    out.emplace(key, std::move(*text));
  }
  return out;
}

Result<std::vector<std::string>> StringList(const Json& value, std::string_view path) {
  if (!value.is_array()) return WrongType(path, "a non-empty array of strings", value);
  if (value.empty()) return Invalid(path, "expected a non-empty array of strings, got []");
  std::vector<std::string> out;
  for (size_t i = 0; i < value.size(); ++i) {
    auto text = String(value[i], std::string(path) + "[" + std::to_string(i) + "]");
    if (!text) return std::unexpected(text.error());
    out.push_back(std::move(*text));
  }
  return out;
}

}  // namespace keywarden::json_read
