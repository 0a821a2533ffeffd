#include "reply.h"

#include "command.h"

namespace keywarden::cli {

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
