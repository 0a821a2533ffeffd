#include "keywarden/status.h"

#include "common/name_table.h"

namespace keywarden {
namespace {

// The wire names of docs/protocol.md.
constexpr NameTable<ErrorCode, 12> kErrorNames = {{
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

std::string_view ErrorCodeName(ErrorCode code) { return NameOf(kErrorNames, code, "internal"); }

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  return FromName(kErrorNames, name);
}

}  // namespace keywarden
