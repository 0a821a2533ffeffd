// A temporary directory for a test, benchmark or fuzz target.
#pragma once

#include <filesystem>
#include <string>

namespace keywarden::testing {

// A fresh directory `<parent>/<prefix>-XXXXXX` (parent: the system temp
// directory unless given), removed with everything in it on destruction.
// Throws std::runtime_error if it cannot be created. Not copyable.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "kwtest", const std::filesystem::path& parent = {});
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace keywarden::testing
