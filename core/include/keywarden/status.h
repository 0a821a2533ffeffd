// Errors cross module boundaries as values: Result<T> is std::expected<T, Error>.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace keywarden {

// A handful of codes, each with a stable wire name (see docs/protocol.md).
enum class ErrorCode {
  kInvalidArgument,   // "invalid_argument": the caller's input is wrong
  kNotFound,          // "not_found"
  kAlreadyExists,     // "already_exists"
  kNotUsable,         // "not_usable": slot exists but has no usable current version
  kConflict,          // "conflict": the request clashes with the slot's state
  kPermissionDenied,  // "permission_denied"
  kSealed,            // "sealed": the daemon holds no master key
  kIntegrity,         // "integrity": a ciphertext or file failed authentication
  kIo,                // "io": a file, disk or database operation failed
  kProtocol,          // "protocol": a malformed, oversized or wrong-version request
  kUnavailable,       // "unavailable": the daemon or a provider cannot be reached
  kInternal,          // "internal": a bug
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // lower case, no trailing period, never a secret
  std::string hint;     // optional next step for the user
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

// Builds the unexpected value a function returns on failure.
inline std::unexpected<Error> Fail(ErrorCode code, std::string message, std::string hint = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(hint)});
}

std::string_view ErrorCodeName(ErrorCode code);
// Returns nullopt for a name this version does not know.
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);

}  // namespace keywarden
