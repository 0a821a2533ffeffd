#include "keywarden/messages.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace keywarden {

Status CheckParamNames(const Json& params, std::string_view method,
                       std::span<const std::string_view> fields) {
  // Null stands for no params, as on the wire (ParseRequest).
  if (params.is_null()) return {};
  if (!params.is_object()) return Fail(ErrorCode::kInvalidArgument, "params: expected an object");
  for (auto it = params.cbegin(); it != params.cend(); ++it) {
    const std::string& name = it.key();
    if (std::find(fields.begin(), fields.end(), name) != fields.end()) continue;
    const bool printable = name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
                             return c >= ' ' && c < 0x7f;
                           });
    return Fail(ErrorCode::kInvalidArgument,
                printable ? fmt::format("params.{}: unknown field", name)
                          : std::string("params: an unknown field"),
                fmt::format("{} takes {}", method,
                            fields.empty() ? std::string("no params")
                                           : fmt::format("{}", fmt::join(fields, ", "))));
  }
  return {};
}

Error UnexpectedReply(std::string_view detail) {
  Error error = UnexpectedReply();
  error.message = fmt::format("{} ({})", error.message, detail);
  return error;
}

}  // namespace keywarden
