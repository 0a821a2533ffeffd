// Helpers shared by the files of core/src/crypto; not part of the public API.
#pragma once

#include <string_view>

namespace keywarden::crypto_internal {

// Initialises libsodium exactly once, from any thread. Every function that
// calls into libsodium without first holding a SecretBuffer calls this.
// Aborts the process if libsodium cannot be initialised.
void EnsureSodium();

// Prints "keywarden: fatal: <what>" to stderr and aborts. For broken
// contracts and for running without secure memory, never for bad input.
[[noreturn]] void Fatal(std::string_view what);

}  // namespace keywarden::crypto_internal
