#include "keywarden/unicode.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace keywarden {
namespace {

// Characters seen in keys pasted from web pages, chat apps, PDFs and word
// processors. Sorted by code point.
constexpr std::array<std::pair<char32_t, std::string_view>, 56> kNames = {{
    {0x0085, "NEXT LINE"},
    {0x00A0, "NO-BREAK SPACE"},
    {0x00AD, "SOFT HYPHEN"},
    {0x034F, "COMBINING GRAPHEME JOINER"},
    {0x061C, "ARABIC LETTER MARK"},
    {0x1680, "OGHAM SPACE MARK"},
    {0x180E, "MONGOLIAN VOWEL SEPARATOR"},
    {0x2000, "EN QUAD"},
    {0x2001, "EM QUAD"},
    {0x2002, "EN SPACE"},
    {0x2003, "EM SPACE"},
    {0x2004, "THREE-PER-EM SPACE"},
    {0x2005, "FOUR-PER-EM SPACE"},
    {0x2006, "SIX-PER-EM SPACE"},
    {0x2007, "FIGURE SPACE"},
    {0x2008, "PUNCTUATION SPACE"},
    {0x2009, "THIN SPACE"},
    {0x200A, "HAIR SPACE"},
    {0x200B, "ZERO WIDTH SPACE"},
    {0x200C, "ZERO WIDTH NON-JOINER"},
    {0x200D, "ZERO WIDTH JOINER"},
    {0x200E, "LEFT-TO-RIGHT MARK"},
    {0x200F, "RIGHT-TO-LEFT MARK"},
    {0x2010, "HYPHEN"},
    {0x2011, "NON-BREAKING HYPHEN"},
    {0x2012, "FIGURE DASH"},
    {0x2013, "EN DASH"},
    {0x2014, "EM DASH"},
    {0x2018, "LEFT SINGLE QUOTATION MARK"},
    {0x2019, "RIGHT SINGLE QUOTATION MARK"},
    {0x201C, "LEFT DOUBLE QUOTATION MARK"},
    {0x201D, "RIGHT DOUBLE QUOTATION MARK"},
    {0x2026, "HORIZONTAL ELLIPSIS"},
    {0x2028, "LINE SEPARATOR"},
    {0x2029, "PARAGRAPH SEPARATOR"},
    {0x202A, "LEFT-TO-RIGHT EMBEDDING"},
    {0x202B, "RIGHT-TO-LEFT EMBEDDING"},
    {0x202C, "POP DIRECTIONAL FORMATTING"},
    {0x202D, "LEFT-TO-RIGHT OVERRIDE"},
    {0x202E, "RIGHT-TO-LEFT OVERRIDE"},
    {0x202F, "NARROW NO-BREAK SPACE"},
    {0x205F, "MEDIUM MATHEMATICAL SPACE"},
    {0x2060, "WORD JOINER"},
    {0x2061, "FUNCTION APPLICATION"},
    {0x2062, "INVISIBLE TIMES"},
    {0x2063, "INVISIBLE SEPARATOR"},
    {0x2064, "INVISIBLE PLUS"},
    {0x2066, "LEFT-TO-RIGHT ISOLATE"},
    {0x2067, "RIGHT-TO-LEFT ISOLATE"},
    {0x2068, "FIRST STRONG ISOLATE"},
    {0x2069, "POP DIRECTIONAL ISOLATE"},
    {0x2212, "MINUS SIGN"},
    {0x3000, "IDEOGRAPHIC SPACE"},
    {0xFEFF, "BYTE ORDER MARK"},
    {0xFFFC, "OBJECT REPLACEMENT CHARACTER"},
    {0xFFFD, "REPLACEMENT CHARACTER"},
}};

std::string_view NameOf(char32_t code_point) {
  auto it = std::lower_bound(kNames.begin(), kNames.end(), code_point,
                             [](const auto& entry, char32_t c) { return entry.first < c; });
  return it != kNames.end() && it->first == code_point ? it->second : std::string_view();
}

std::string Hex(char32_t code_point) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(code_point));
  return buffer;
}

}  // namespace

std::optional<DecodedChar> DecodeUtf8(std::string_view text, size_t pos) {
  if (pos >= text.size()) return std::nullopt;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  unsigned char lead = byte(0);
  if (lead < 0x80) return DecodedChar{lead, 1};
  size_t length;
  char32_t value;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, value = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, value = lead & 0x07;
  } else {
    return std::nullopt;  // a continuation byte, C0/C1 (overlong) or F5..FF
  }
  if (pos + length > text.size()) return std::nullopt;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return std::nullopt;
    value = (value << 6) | (byte(i) & 0x3F);
  }
  static constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (value < kMinimum[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return std::nullopt;
  }
  return DecodedChar{value, length};
}

std::string DescribeCodePoint(char32_t code_point) {
  switch (code_point) {
    case '\t':
      return "tab (U+0009)";
    case '\n':
      return "line feed (U+000A)";
    case '\v':
      return "vertical tab (U+000B)";
    case '\f':
      return "form feed (U+000C)";
    case '\r':
      return "carriage return (U+000D)";
    case ' ':
      return "space (U+0020)";
    case 0x7F:
      return "delete (U+007F)";
    default:
      break;
  }
  if (std::string_view name = NameOf(code_point); !name.empty()) {
    return Hex(code_point) + " " + std::string(name);
  }
  if (code_point < 0x20 || (code_point >= 0x80 && code_point < 0xA0)) {
    return "control character " + Hex(code_point);
  }
  if (code_point < 0x80) return "'" + std::string(1, static_cast<char>(code_point)) + "'";
  return "non-ASCII character " + Hex(code_point);
}

bool IsInvisible(char32_t c) {
  return c == 0x00AD || c == 0x034F || c == 0x061C || c == 0x180E || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) ||
         (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF;
}

}  // namespace keywarden
