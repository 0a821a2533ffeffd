// Wall-clock time as the product shows it: unix seconds, UTC RFC 3339.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keywarden {

// Seconds since the epoch. KEYWARDEN_TEST_CLOCK_OFFSET (seconds, test builds
// and tests only) shifts it so schedules can be tested without sleeping.
int64_t NowSeconds();
// The same clock in milliseconds, for timers that fire on a due second.
int64_t NowMillis();
// 1763719200 -> "2025-11-21T10:00:00Z".
std::string FormatTime(int64_t unix_seconds);
// The inverse of FormatTime; nullopt for anything else.
std::optional<int64_t> ParseTime(std::string_view text);

}  // namespace keywarden
