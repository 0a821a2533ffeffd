// What the get benchmarks stand up: the fake provider and the real
// keywardend (from the test support, tests/support/) with slots verified.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "measure.h"

namespace keywarden::bench {

// A temp dir, the fake provider and a daemon on <dir>/home with one
// DeepSeek slot, kRef, verified by the fake and holding secret(). Throws if
// any of it fails. Not copyable.
class OneSlotBench {
 public:
  static constexpr const char* kRef = "bench/deepseek";

  // With `slots` > 1, slots kRef-1 ... kRef-(slots-1) too, all with the
  // same key, each usable before this returns.
  explicit OneSlotBench(const std::string& prefix, int slots = 1);
  // kRef, then the other slots' refs.
  const std::vector<std::string>& refs() const { return refs_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path home() const { return dir_.path() / "home"; }
  const std::string& secret() const { return secret_; }
  testing::Daemon& daemon() { return daemon_; }

 private:
  testing::TempDir dir_;  // first: outlives the fake and the daemon
  std::string secret_;
  std::vector<std::string> refs_;
  std::unique_ptr<testing::FakeProvider> fake_;
  testing::Daemon daemon_;
};

}  // namespace keywarden::bench
