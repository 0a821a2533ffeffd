// Reading what a test's processes left on disk.
#pragma once

#include <filesystem>
#include <string>

namespace keywarden::testing {

// A whole file as bytes ("" if it is missing or unreadable).
std::string ReadFile(const std::filesystem::path& file);

// True if `needle` occurs in any regular file below `dir`; the first such
// file in `*which` if given.
bool AnyFileContains(const std::filesystem::path& dir, const std::string& needle,
                     std::string* which = nullptr);

}  // namespace keywarden::testing
