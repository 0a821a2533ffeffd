// Step 1 of the probe ladder: the offline format check done at add time.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "keywarden/providers.h"
#include "keywarden/slot.h"
#include "keywarden/status.h"

namespace keywarden {

struct FormatVerdict {
  size_t begin = 0;  // the key is key.substr(begin, end - begin) after trimming
  size_t end = 0;
  std::vector<Diagnosis> warnings;  // whitespace_trimmed, looks_like_other_provider, malformed_key
};

// Trims leading/trailing ASCII whitespace (a warning). Rejects with
// kInvalidArgument an empty key, any other whitespace, control, zero-width
// (U+200B..U+200D, U+2060), BOM, NBSP or other non-ASCII character, invalid
// UTF-8, surrounding quotes and a "Bearer " prefix. The message names the
// code point and the 1-based character position, never the key itself.
// Warns when the key matches another provider's pattern and not `provider`'s.
Result<FormatVerdict> CheckKeyFormat(std::string_view key, const ProviderInfo& provider,
                                     const Catalogue& catalogue);

// "sk-or-v1-…cdef": a recognisable prefix and the last four characters.
// Keys shorter than 12 characters show only "…" and the last two.
std::string MaskKey(std::string_view key);

}  // namespace keywarden
