// SIGHUP (systemctl reload) re-reads config.json in the running daemon: a
// reloadable setting applies at once, a file that does not load keeps the
// running configuration, and a setting read only at start is named in the
// log as waiting for a restart.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "integration/harness.h"
#include "support/fake_provider.h"

namespace keywarden::testing {
namespace {

// Waits up to 10 s for `text` to appear in the daemon's log.
bool LogShows(const Daemon& daemon, const std::string& text) {
  for (int i = 0; i < 100; ++i) {
    if (daemon.Log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

Json WithDefaultEnv(const std::string& env) {
  Json config = OfflineConfig();
  config["default_env"] = env;
  return config;
}

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteConfig(home_.path(), WithDefaultEnv("dev"));
    std::string why;
    ASSERT_TRUE(daemon_.Start({}, &why)) << why;
    CliResult added = daemon_.Cli(
        {"add", "dev/a", "--provider", "openrouter", "--models", "deepseek/deepseek-chat"},
        {.stdin_data = FakeKey("openrouter")});
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }

  // `show a`: the daemon resolves the bare name with its default_env.
  int ShowBareName() { return daemon_.Cli({"show", "a"}).exit_code; }

  TempDir home_;
  Daemon daemon_{home_.path()};
};

TEST_F(ReloadTest, SighupAppliesNewDefaultEnv) {
  ASSERT_NE(ShowBareName(), 4);
  WriteConfig(home_.path(), WithDefaultEnv("prod"));
  ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  ASSERT_TRUE(LogShows(daemon_, "config reloaded")) << daemon_.Log();
  EXPECT_EQ(ShowBareName(), 4);  // now prod/a, which does not exist
  EXPECT_EQ(daemon_.Cli({"status"}).exit_code, 0);
}

TEST_F(ReloadTest, InvalidConfigKeepsTheRunningOne) {
  WriteConfig(home_.path(), WithDefaultEnv("prod"));
  ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  ASSERT_TRUE(LogShows(daemon_, "config reloaded")) << daemon_.Log();
  std::ofstream(home_.path() / "config.json") << R"({"default_env": )";
  ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  ASSERT_TRUE(LogShows(daemon_, "config not reloaded; the running configuration stays"))
      << daemon_.Log();
  EXPECT_EQ(ShowBareName(), 4);  // still prod
  EXPECT_EQ(daemon_.Cli({"status"}).exit_code, 0);
}

TEST_F(ReloadTest, StartOnlySettingIsLoggedAsNeedingRestart) {
  Json config = WithDefaultEnv("dev");
  config["notify"] = {{"command", {"/bin/true"}}};
  WriteConfig(home_.path(), config);
  ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  ASSERT_TRUE(LogShows(daemon_, "config change takes effect at the next restart")) << daemon_.Log();
  EXPECT_NE(daemon_.Log().find("notify.command"), std::string::npos) << daemon_.Log();
}

TEST_F(ReloadTest, RepeatedSighupNeverEndsTheDaemon) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  ASSERT_TRUE(LogShows(daemon_, "config reloaded")) << daemon_.Log();
  EXPECT_EQ(daemon_.Cli({"status"}).exit_code, 0);
  EXPECT_EQ(::kill(daemon_.pid(), 0), 0);
}

}  // namespace
}  // namespace keywarden::testing
