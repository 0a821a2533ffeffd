// What a probe leaves in the daemon's memory (issue 18 item 16): libcurl
// copied "Authorization: Bearer <key>" into buffers it freed unwiped, and
// the copies outlived the probe and `seal`. The test reads the running
// daemon's writable private mappings through /proc/PID/mem (as root; the
// daemon is not dumpable) and looks for the header.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>

#include "integration/provider_fixture.h"

namespace keywarden::testing {
namespace {

// How many times `needle` occurs in the daemon's writable private memory:
// the heap, anonymous mappings and thread stacks. nullopt when the memory
// cannot be read (not root, or no /proc).
std::optional<int> CountInMemory(pid_t pid, const std::string& needle) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  int mem = ::open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  if (!maps || mem < 0) {
    if (mem >= 0) ::close(mem);
    return std::nullopt;
  }
  int found = 0;
  bool read_any = false;
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, dev, inode, path;
    fields >> range >> perms >> offset >> dev >> inode;
    std::getline(fields >> std::ws, path);
    if (perms.size() < 4 || perms[0] != 'r' || perms[1] != 'w' || perms[3] != 'p') continue;
    if (!path.empty() && path != "[heap]" && path.rfind("[stack", 0) != 0) continue;
    const size_t dash = range.find('-');
    const uint64_t begin = std::stoull(range.substr(0, dash), nullptr, 16);
    const uint64_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
    // Chunks overlap by the needle's length, so that no match is cut.
    constexpr size_t kChunk = 1 << 20;
    std::string buffer(kChunk + needle.size(), '\0');
    for (uint64_t at = begin; at < end; at += kChunk) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(end - at, buffer.size()));
      const ssize_t got = ::pread(mem, buffer.data(), want, static_cast<off_t>(at));
      if (got <= 0) break;  // guard pages of sodium_malloc read as errors
      read_any = true;
      std::string_view chunk(buffer.data(), static_cast<size_t>(got));
      for (size_t pos = chunk.find(needle); pos != std::string_view::npos && pos < kChunk;
           pos = chunk.find(needle, pos + 1)) {
        ++found;
      }
    }
  }
  ::close(mem);
  if (!read_any) return std::nullopt;
  return found;
}

class ProbeMemoryTest : public ProviderTest {};

TEST_F(ProbeMemoryTest, NoAuthorizationHeaderStaysInMemoryAfterProbesAndSeal) {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer maps terabytes of shadow memory and keeps freed blocks
  // in its own allocator: reading it all takes minutes and says nothing of
  // the real build's heap, where this test runs.
  GTEST_SKIP() << "not under AddressSanitizer (the normal build runs it)";
#endif
  std::string key = FakeKey("openrouter");
  Start({{{"key", key}, {"provider", "openrouter"}}}, {{"unlock", "passphrase"}});
  ASSERT_EQ(Run({"unlock"}, "a long enough passphrase\n").exit_code, 0);
  // Three rounds of probes: the auth probe and one completion each.
  CliResult added = Run({"add", "dev/openrouter", "--provider", "openrouter", "--models",
                         "deepseek/deepseek-chat", "--wait", "--timeout", "40s"},
                        key);
  ASSERT_EQ(added.exit_code, 0) << added.err << daemon_.Log();
  for (int i = 0; i < 2; ++i) {
    CliResult validated = Run({"validate", "dev/openrouter", "--wait", "--timeout", "40s"});
    ASSERT_EQ(validated.exit_code, 0) << validated.err;
  }
  ASSERT_GE(fake_->Count("openrouter", "/key"), 3);

  const std::string header = "Bearer " + key;
  std::optional<int> after_probes = CountInMemory(daemon_.pid(), header);
  if (!after_probes) GTEST_SKIP() << "cannot read the daemon's memory (needs root)";
  EXPECT_EQ(*after_probes, 0) << "the probes' Authorization header is still in memory";

  ASSERT_EQ(Run({"seal"}).exit_code, 0);
  EXPECT_EQ(CountInMemory(daemon_.pid(), header).value_or(-1), 0)
      << "the probes' Authorization header is still in memory after seal";
}

}  // namespace
}  // namespace keywarden::testing
