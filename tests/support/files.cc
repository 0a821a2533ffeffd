#include "support/files.h"

#include <fstream>
#include <sstream>

namespace keywarden::testing {

std::string ReadFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool AnyFileContains(const std::filesystem::path& dir, const std::string& needle,
                     std::string* which) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    if (ReadFile(entry.path()).find(needle) != std::string::npos) {
      if (which) *which = entry.path().string();
      return true;
    }
  }
  return false;
}

}  // namespace keywarden::testing
