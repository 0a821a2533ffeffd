// Just enough Unicode to tell a user which invisible character broke a key.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace keywarden {

struct DecodedChar {
  char32_t code_point = 0;
  size_t length = 0;  // bytes, 1 to 4
};

// Decodes the UTF-8 sequence starting at text[pos]. nullopt for invalid UTF-8:
// a stray continuation byte, a truncated sequence, an overlong encoding, a
// surrogate or a value above U+10FFFF.
std::optional<DecodedChar> DecodeUtf8(std::string_view text, size_t pos);

// "U+200B ZERO WIDTH SPACE", "line feed (U+000A)", "non-ASCII character U+00E9".
std::string DescribeCodePoint(char32_t code_point);

// True for characters a user cannot see: zero-width, joiners, direction
// marks, the byte order mark.
bool IsInvisible(char32_t code_point);

}  // namespace keywarden
