// A test fixture with the real daemon on a temporary home and the fake
// provider it validates against, plus the CLI calls most tests need.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <thread>

#include "integration/harness.h"
#include "support/fake_provider.h"

namespace keywarden::testing {

class ProviderTest : public ::testing::Test {
 protected:
  // Starts the fake with `keys` and the daemon with a config pointing at it.
  void Start(const Json& keys, const Json& config_extra = Json::object()) {
    fake_ = std::make_unique<FakeProvider>(Json{{"keys", keys}});
    WriteConfig(daemon_.home(), fake_->Config(config_extra));
    std::string why;
    ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  }

  CliResult Run(const std::vector<std::string>& args, const std::string& input = "") {
    return daemon_.Cli(args, {.stdin_data = input});
  }

  // `add REF --provider P --models M --wait --timeout 40s [extra]`, the key
  // on stdin.
  CliResult Add(const std::string& ref, const std::string& provider, const std::string& models,
                const std::string& key, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"add",  ref,      "--provider", provider, "--models",
                                     models, "--wait", "--timeout",  "40s"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args, key);
  }

  Json Show(const std::string& ref) {
    CliResult r = Run({"show", ref, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }

  // Polls `show` until `pred` holds or 30 s pass; returns the last slot.
  Json WaitFor(const std::string& ref, const std::function<bool(const Json&)>& pred) {
    Json slot;
    for (int i = 0; i < 300; ++i) {
      slot = Show(ref);
      if (pred(slot)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return slot;
  }

  // The fake's request log, held by value for range-for loops.
  std::vector<Json> Requests() const {
    Json log = fake_->Log();
    return log["requests"].get<std::vector<Json>>();
  }

  TempDir dir_;
  Daemon daemon_{dir_.path() / "home"};
  std::unique_ptr<FakeProvider> fake_;
};

}  // namespace keywarden::testing
