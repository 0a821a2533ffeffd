// Errors cross module boundaries as values: Result<T> is std::expected<T, Error>.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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

// A std::expected that the compiler will not let a caller drop: ignoring a
// returned Result or Status is a warning, and warnings are errors
// (docs/style-gates.md). Where dropping one is right, say why and write
// `std::ignore = Call();` (<tuple>). It converts to and from
// std::expected<T, Error>.
template <class T>
class [[nodiscard]] Result : public std::expected<T, Error> {
 public:
  using Base = std::expected<T, Error>;
  using Base::Base;
  Result() = default;
  // Implicit on purpose: a std::expected<T, Error> is a Result.
  Result(const Base& other) : Base(other) {}        // NOLINT(google-explicit-constructor)
  Result(Base&& other) : Base(std::move(other)) {}  // NOLINT(google-explicit-constructor)
};
using Status = Result<void>;

// Builds the unexpected value a function returns on failure.
inline std::unexpected<Error> Fail(ErrorCode code, std::string message, std::string hint = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(hint)});
}

std::string_view ErrorCodeName(ErrorCode code);
// Returns nullopt for a name this version does not know.
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);

}  // namespace keywarden
