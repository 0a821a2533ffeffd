// A provider's requested delay through the real daemon: however long a
// Retry-After it sends, the key is checked again within the bound.
#include <gtest/gtest.h>

#include "integration/provider_fixture.h"

namespace keywarden::testing {
namespace {

class RetryAfterTest : public ProviderTest {};

// Issue 18 item 9: a 429 with Retry-After: 99999999999999999999 scheduled
// the next check in the year 33715, so the new key stayed pending for
// good. The fake's config has retry_max 2s: each absurd delay becomes at
// most 2 s, and the key is verified once the provider answers normally.
TEST_F(RetryAfterTest, HugeProviderDelaysAreClampedToRetryMax) {
  std::string key = FakeKey("openai");
  // Each check is an auth probe (GET) then one completion (POST): every
  // completion is answered 429 with another absurd delay, then normally.
  Start({{{"key", key},
          {"provider", "openai"},
          {"script",
           {200,
            {{"status", 429}, {"headers", {{"retry-after", "99999999999999999999"}}}},
            200,
            {{"status", 429}, {"headers", {{"retry-after-ms", "1e300"}, {"retry-after", nullptr}}}},
            200,
            {{"status", 429}, {"headers", {{"retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"}}}}}}}});
  CliResult r = daemon_.Cli({"add", "dev/openai", "--provider", "openai", "--models", "gpt-4o",
                             "--wait", "--timeout", "30s"},
                            {.stdin_data = key});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << daemon_.Log();
  Json slot = Show("dev/openai");
  EXPECT_EQ(slot["state"], "verified") << slot.dump();
  int limited = 0;
  for (const Json& req : Requests()) limited += req["status"] == 429;
  EXPECT_GE(limited, 1) << "no probe was rate-limited";
}

}  // namespace
}  // namespace keywarden::testing
