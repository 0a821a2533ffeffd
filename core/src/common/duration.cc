// ParseDuration and FormatDuration of keywarden/config.h.
#include <array>
#include <charconv>
#include <utility>

#include "keywarden/config.h"

namespace keywarden {
namespace {

// Largest first, so FormatDuration picks the largest unit that divides.
constexpr std::array<std::pair<char, int64_t>, 5> kUnits = {{
    {'w', 7 * 86400},
    {'d', 86400},
    {'h', 3600},
    {'m', 60},
    {'s', 1},
}};

// Far beyond any sensible schedule, and small enough that adding it to a
// unix time never overflows.
constexpr int64_t kMaxDuration = 36500LL * 86400;

// The input as it may appear in a message: short, printable ASCII only.
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 32)) out += (c >= ' ' && c < 0x7f) ? c : '?';
  if (text.size() > 32) out += "...";
  return out + "\"";
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view text) {
  auto malformed = [&] {
    return Fail(ErrorCode::kInvalidArgument,
                "expected a duration like 30s, 5m, 2h or 90d, got " + Quoted(text),
                "units are s, m, h, d and w; a bare number is not accepted");
  };
  if (text.size() < 2) return malformed();
  char unit = text.back();
  std::string_view digits = text.substr(0, text.size() - 1);
  int64_t multiplier = 0;
  for (const auto& [u, seconds] : kUnits) {
    if (u == unit) multiplier = seconds;
  }
  if (multiplier == 0) return malformed();
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  // Unsigned from_chars takes no sign or space; it must consume every character.
  if (ec == std::errc::result_out_of_range)
    value = UINT64_MAX;
  else if (ec != std::errc() || end != digits.data() + digits.size())
    return malformed();
  if (value == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "a duration must be greater than zero, got " + Quoted(text));
  }
  if (value > static_cast<uint64_t>(kMaxDuration / multiplier)) {
    return Fail(ErrorCode::kInvalidArgument,
                "a duration must be at most 36500d, got " + Quoted(text));
  }
  return static_cast<int64_t>(value) * multiplier;
}

std::string FormatDuration(int64_t seconds) {
  if (seconds == 0) return "0s";
  if (seconds < 0) return "-" + FormatDuration(seconds == INT64_MIN ? INT64_MAX : -seconds);
  for (const auto& [unit, size] : kUnits) {
    if (seconds % size == 0) return std::to_string(seconds / size) + unit;
  }
  return std::to_string(seconds) + "s";
}

}  // namespace keywarden
