// Reads a secret the only ways keywarden accepts one: from standard input,
// or from a no-echo prompt on the terminal. Never from argv or environment.
#pragma once

#include <string_view>

#include "keywarden/secret.h"
#include "keywarden/status.h"

namespace keywarden::cli {

// On a terminal: prompts on /dev/tty with echo off. Otherwise reads stdin to
// its end (at most 16 KiB) and drops one final line ending, the one `echo`
// or a file adds. Other whitespace is left for the format check to report.
Result<SecretBuffer> ReadSecret(std::string_view prompt);

}  // namespace keywarden::cli
