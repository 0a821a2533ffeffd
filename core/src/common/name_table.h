// Enum <-> wire name lookups over a constant table, shared by the status and
// slot enums so each table is the single source of its names.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace keywarden {

template <class Enum, size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

// The name of `value`, or `fallback` for a value missing from the table.
template <class Enum, size_t N>
std::string_view NameOf(const NameTable<Enum, N>& table, Enum value, std::string_view fallback) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return fallback;
}

template <class Enum, size_t N>
std::optional<Enum> FromName(const NameTable<Enum, N>& table, std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace keywarden
