#include "keywarden/status.h"

#include <array>
#include <utility>

namespace keywarden {
namespace {

// The wire names of docs/protocol.md; order matches nothing, lookups are by code.
constexpr std::array<std::pair<ErrorCode, std::string_view>, 12> kErrorNames = {{
    {ErrorCode::kInvalidArgument, "invalid_argument"},
    {ErrorCode::kNotFound, "not_found"},
    {ErrorCode::kAlreadyExists, "already_exists"},
    {ErrorCode::kNotUsable, "not_usable"},
    {ErrorCode::kConflict, "conflict"},
    {ErrorCode::kPermissionDenied, "permission_denied"},
    {ErrorCode::kSealed, "sealed"},
    {ErrorCode::kIntegrity, "integrity"},
    {ErrorCode::kIo, "io"},
    {ErrorCode::kProtocol, "protocol"},
    {ErrorCode::kUnavailable, "unavailable"},
    {ErrorCode::kInternal, "internal"},
}};

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  for (const auto& [c, name] : kErrorNames) {
    if (c == code) return name;
  }
  return "internal";
}

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (const auto& [code, n] : kErrorNames) {
    if (n == name) return code;
  }
  return std::nullopt;
}

}  // namespace keywarden
