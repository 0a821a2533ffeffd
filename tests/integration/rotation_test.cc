// Rotation with zero downtime, rollback, revocation, the end of grace,
// reminders and notify.command, through the real daemon and fake provider.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "integration/provider_fixture.h"

namespace keywarden::testing {
namespace {

class RotationTest : public ProviderTest {
 protected:
  std::vector<std::string> Actions(const std::string& ref) {
    Json events = Json::parse(Run({"events", ref, "--json"}).out);
    std::vector<std::string> out;
    for (const Json& e : events) out.push_back(e["action"]);
    return out;
  }

  static std::string StateOf(const Json& slot, int version) {
    for (const Json& v : slot["versions"]) {
      if (v["version"] == version) return v["state"];
    }
    return "";
  }
};

TEST_F(RotationTest, CurrentKeyIsServedUntilTheNewOneVerifiesThenPromoted) {
  std::string old_key = FakeKey("mistral"), new_key = FakeKey("mistral");
  Start({{{"key", old_key}, {"provider", "mistral"}},
         {{"key", new_key}, {"provider", "mistral"}, {"activates_after_s", 3}}},
        {{"providers", {{"mistral", {{"activation_window", "1m"}}}}}});
  ASSERT_EQ(
      Run({"add", "prod/m", "--provider", "mistral", "--models", "mistral-small-2506", "--wait"},
          old_key)
          .exit_code,
      0);
  CliResult rotated = Run({"rotate", "prod/m"}, new_key);
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  Json during = Show("prod/m");
  EXPECT_EQ(during["current_version"], 1);
  EXPECT_EQ(during["pending_version"], 2);
  EXPECT_EQ(Run({"get", "prod/m"}).out, old_key);

  CliResult again = Run({"rotate", "prod/m"}, FakeKey("mistral"));
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("still pending"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("keywarden: hint: wait for it (`keywarden validate prod/m --wait`) or "
                           "revoke it with `keywarden revoke prod/m --version 2`"),
            std::string::npos)
      << again.err;

  Json after = WaitFor("prod/m", [](const Json& s) { return s["current_version"] == 2; });
  EXPECT_EQ(after["current_version"], 2) << after.dump(2);
  EXPECT_TRUE(after["pending_version"].is_null());
  EXPECT_EQ(StateOf(after, 1), "retired");
  EXPECT_EQ(StateOf(after, 2), "verified");
  EXPECT_EQ(Run({"get", "prod/m"}).out, new_key);
  std::vector<std::string> actions = Actions("prod/m");
  EXPECT_NE(std::find(actions.begin(), actions.end(), "rotate"), actions.end());
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "verified"), 2);
}

TEST_F(RotationTest, FailedRotationLeavesTheCurrentKeyInService) {
  std::string old_key = FakeKey("openai"), bad_key = FakeKey("openai");
  Start({{{"key", old_key}, {"provider", "openai"}},
         {{"key", bad_key}, {"provider", "openai"}, {"allowed_models", {"gpt-4o-mini"}}}});
  ASSERT_EQ(Run({"add", "dev/o", "--provider", "openai", "--models", "gpt-4o", "--wait"}, old_key)
                .exit_code,
            0);
  CliResult r = Run({"rotate", "dev/o", "--wait"}, bad_key);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("model_"), std::string::npos) << r.err << Show("dev/o").dump(1);
  Json slot = Show("dev/o");
  EXPECT_EQ(slot["current_version"], 1);
  EXPECT_EQ(slot["usable"], true);
  EXPECT_EQ(StateOf(slot, 2), "failed");
  EXPECT_EQ(Run({"get", "dev/o"}).out, old_key);
  // A failed rotation does not block the next one.
  std::string good = FakeKey("openai");
  fake_->AddKeys({{{"key", good}, {"provider", "openai"}}});
  EXPECT_EQ(Run({"rotate", "dev/o", "--wait"}, good).exit_code, 0);
  EXPECT_EQ(Run({"get", "dev/o"}).out, good);
}

TEST_F(RotationTest, RollbackServesThePreviousKeyAfterARecheck) {
  std::string k1 = FakeKey("deepseek"), k2 = FakeKey("deepseek");
  Start({{{"key", k1}, {"provider", "deepseek"}}, {{"key", k2}, {"provider", "deepseek"}}});
  ASSERT_EQ(
      Run({"add", "dev/d", "--provider", "deepseek", "--models", "deepseek-chat", "--wait"}, k1)
          .exit_code,
      0);
  ASSERT_EQ(Run({"rotate", "dev/d", "--wait"}, k2).exit_code, 0);
  int probes_before = fake_->Posts("deepseek");
  CliResult r = Run({"rollback", "dev/d", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Run({"get", "dev/d"}).out, k1);
  EXPECT_GT(fake_->Posts("deepseek"), probes_before) << "the old key was re-checked before serving";
  Json slot = Show("dev/d");
  EXPECT_EQ(slot["current_version"], 1);
  EXPECT_EQ(StateOf(slot, 2), "retired");
  std::vector<std::string> actions = Actions("dev/d");
  EXPECT_NE(std::find(actions.begin(), actions.end(), "rollback"), actions.end());
}

TEST_F(RotationTest, RevokeStopsServingAtOnce) {
  std::string k1 = FakeKey("deepseek");
  Start({{{"key", k1}, {"provider", "deepseek"}}});
  ASSERT_EQ(
      Run({"add", "dev/d", "--provider", "deepseek", "--models", "deepseek-chat", "--wait"}, k1)
          .exit_code,
      0);
  ASSERT_EQ(Run({"revoke", "dev/d", "--yes"}).exit_code, 0);
  EXPECT_EQ(Run({"get", "dev/d"}).exit_code, 3);
  CliResult no_current = Run({"revoke", "dev/d", "--yes"});
  EXPECT_EQ(no_current.exit_code, 4);
  EXPECT_NE(no_current.err.find("keywarden: hint: name one with --version N (see `keywarden show "
                                "dev/d`)"),
            std::string::npos)
      << no_current.err;
  EXPECT_EQ(Run({"revoke", "dev/d", "--yes", "--version", "1"}).exit_code, 1);
  EXPECT_EQ(Run({"revoke", "dev/d", "--yes", "--version", "7"}).exit_code, 4);
  EXPECT_EQ(StateOf(Show("dev/d"), 1), "revoked");
  daemon_.Stop();
  std::string which;
  EXPECT_FALSE(AnyFileContains(daemon_.home(), k1, &which)) << which;
}

TEST_F(RotationTest, RetiredSecretIsDestroyedWhenItsGraceEnds) {
  std::string k1 = FakeKey("deepseek"), k2 = FakeKey("deepseek");
  Start({{{"key", k1}, {"provider", "deepseek"}}, {{"key", k2}, {"provider", "deepseek"}}});
  ASSERT_EQ(Run({"add", "dev/d", "--provider", "deepseek", "--models", "deepseek-chat", "--grace",
                 "2s", "--wait"},
                k1)
                .exit_code,
            0);
  ASSERT_EQ(Run({"rotate", "dev/d", "--wait"}, k2).exit_code, 0);
  for (int i = 0; i < 100; ++i) {
    std::vector<std::string> actions = Actions("dev/d");
    if (std::find(actions.begin(), actions.end(), "destroy") != actions.end()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::vector<std::string> actions = Actions("dev/d");
  EXPECT_NE(std::find(actions.begin(), actions.end(), "destroy"), actions.end());
  CliResult rollback = Run({"rollback", "dev/d"});
  EXPECT_EQ(rollback.exit_code, 4);
  EXPECT_NE(rollback.err.find("keywarden: hint: a replaced key is kept for rollback only for the "
                              "slot's grace"),
            std::string::npos)
      << rollback.err;
  EXPECT_EQ(Run({"get", "dev/d"}).out, k2);
  std::string which;
  EXPECT_FALSE(AnyFileContains(daemon_.home(), k1, &which))
      << "destroyed secret still in " << which;
}

TEST_F(RotationTest, RemindersGoToEventsTheListAndTheNotifyCommand) {
  std::string k1 = FakeKey("deepseek");
  std::filesystem::path notified = dir_.path() / "notified.jsonl";
  Start({{{"key", k1}, {"provider", "deepseek"}}},
        {{"reminders", {{"repeat_every", "1s"}}},
         {"notify", {{"command", {"/bin/sh", "-c", "cat >> " + notified.string()}}}}});
  ASSERT_EQ(Run({"add", "dev/d", "--provider", "deepseek", "--models", "deepseek-chat",
                 "--rotate-every", "3s", "--remind-before", "2s", "--wait"},
                k1)
                .exit_code,
            0);
  Json slot = WaitFor("dev/d", [](const Json& s) { return s["reminder_due"] == true; });
  EXPECT_EQ(slot["reminder_due"], true);
  EXPECT_FALSE(slot["rotation_due_at"].is_null());
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  std::vector<std::string> actions = Actions("dev/d");
  EXPECT_GE(std::count(actions.begin(), actions.end(), "reminder"), 2);
  Json reminders = Json::parse(Run({"reminders", "--json"}).out);
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0]["kind"], "overdue");
  std::string lines = ReadFile(notified);
  EXPECT_NE(lines.find("\"kind\":\"reminder\""), std::string::npos) << lines;
  EXPECT_EQ(lines.find(k1), std::string::npos);
}

TEST_F(RotationTest, ReminderDueWhileTheDaemonWasDownFiresOnceAfterStart) {
  std::string k1 = FakeKey("deepseek");
  Start({{{"key", k1}, {"provider", "deepseek"}}}, {{"reminders", {{"repeat_every", "1h"}}}});
  ASSERT_EQ(Run({"add", "dev/d", "--provider", "deepseek", "--models", "deepseek-chat",
                 "--rotate-every", "1h", "--remind-before", "1s", "--wait"},
                k1)
                .exit_code,
            0);
  daemon_.Stop();
  // Move the clock past the due time while the daemon is down.
  std::string why;
  ASSERT_TRUE(daemon_.Start({}, &why, {"KEYWARDEN_TEST_CLOCK_OFFSET=7300"})) << why;
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  std::vector<std::string> actions = Actions("dev/d");
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "reminder"), 1);
}

TEST_F(RotationTest, GetDuringRotationAlwaysReturnsTheOldOrTheNewKey) {
  std::string k1 = FakeKey("deepseek"), k2 = FakeKey("deepseek");
  Start({{{"key", k1}, {"provider", "deepseek"}},
         {{"key", k2}, {"provider", "deepseek"}, {"latency_ms", 300}}});
  ASSERT_EQ(
      Run({"add", "dev/d", "--provider", "deepseek", "--models", "deepseek-chat", "--wait"}, k1)
          .exit_code,
      0);
  std::atomic<bool> done = false;
  std::atomic<int> gets = 0, failures = 0, seen_new = 0;
  std::thread reader([&] {
    while (!done) {
      CliResult r = Run({"get", "dev/d"});
      ++gets;
      if (r.exit_code != 0 || (r.out != k1 && r.out != k2)) ++failures;
      if (r.out == k2) ++seen_new;
    }
  });
  CliResult rotated = Run({"rotate", "dev/d", "--wait"}, k2);
  // A few gets after the promotion too, however slow each one is (a loaded
  // machine, a sanitizer build), within 20 s.
  const int at_promotion = gets.load();
  for (int i = 0; i < 200 && (gets.load() < at_promotion + 3 || gets.load() <= 5); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  done = true;
  reader.join();
  EXPECT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_GT(gets.load(), 5);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(seen_new.load(), 0);
}

TEST_F(RotationTest, StatusCountsStatesAndShowsTheNextItem) {
  std::string k1 = FakeKey("deepseek");
  Start({{{"key", k1}, {"provider", "deepseek"}}});
  ASSERT_EQ(
      Run({"add", "dev/d", "--provider", "deepseek", "--models", "deepseek-chat", "--wait"}, k1)
          .exit_code,
      0);
  Json st = Json::parse(Run({"status", "--json"}).out);
  EXPECT_EQ(st["versions_by_state"]["verified"], 1);
  EXPECT_FALSE(st["next_scheduled_at"].is_null());
}

}  // namespace
}  // namespace keywarden::testing
