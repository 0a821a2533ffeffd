// keywarden set: a slot edited in place through the real daemon, CLI and
// fake provider. A change of what a check probes (models, endpoint, probe)
// re-checks the key while the current version stays served; a policy change
// moves the reminder and re-checks nothing; versions and events are kept.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "integration/provider_fixture.h"

namespace keywarden::testing {
namespace {

class SetTest : public ProviderTest {
 protected:
  Json Events(const std::string& ref) {
    CliResult r = Run({"events", ref, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }

  std::vector<std::string> Actions(const std::string& ref) {
    std::vector<std::string> out;
    for (const Json& e : Events(ref)) out.push_back(e["action"]);
    return out;
  }

  std::vector<std::string> SetDetails(const std::string& ref) {
    std::vector<std::string> out;
    for (const Json& e : Events(ref)) {
      if (e["action"] == "set") out.push_back(e["detail"]);
    }
    return out;
  }

  static std::vector<std::string> CheckedModels(const Json& version) {
    std::vector<std::string> out;
    for (const Json& c : version["checks"]) {
      if (c["model"] != "") out.push_back(c["model"]);  // not the auth probe
    }
    return out;
  }
};

TEST_F(SetTest, EndpointCodestralFixesACodestralKeyAddedOnTheGeneralEndpoint) {
  std::string key = FakeKey("mistral");
  Start({{{"key", key}, {"provider", "mistral"}, {"mistral_kind", "codestral"}}});
  ASSERT_EQ(Add("dev/codestral", "mistral", "codestral-2508", key).exit_code, 3);
  Json failed = Show("dev/codestral");
  ASSERT_EQ(failed["diagnoses"][0]["code"], "codestral_key_on_general_endpoint") << failed.dump(2);
  const std::string fingerprint = failed["versions"][0]["fingerprint"];

  CliResult set = Run({"set", "dev/codestral", "--endpoint", "codestral"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_NE(set.out.find("endpoint: default -> codestral"), std::string::npos) << set.out;
  EXPECT_NE(set.out.find("re-checking version 1"), std::string::npos) << set.out;

  Json fixed = WaitFor("dev/codestral", [](const Json& s) { return s["usable"] == true; });
  EXPECT_EQ(fixed["usable"], true) << fixed.dump(2) << daemon_.Log();
  EXPECT_EQ(fixed["endpoint"], "codestral");
  EXPECT_EQ(fixed["state"], "verified");
  EXPECT_EQ(fixed["current_version"], 1);
  ASSERT_EQ(fixed["versions"].size(), 1u) << "the same version, not a new one";
  EXPECT_EQ(fixed["versions"][0]["fingerprint"], fingerprint);
  EXPECT_TRUE(fixed["diagnoses"].empty()) << fixed.dump(2);
  EXPECT_GE(fake_->Count("codestral", "/fim/completions"), 1);

  CliResult got = Run({"get", "dev/codestral"});
  EXPECT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, key);
  // The add and the failure stay; the set and the verification follow.
  std::vector<std::string> actions = Actions("dev/codestral");
  auto at = [&](const std::string& action) {
    return std::find(actions.begin(), actions.end(), action) - actions.begin();
  };
  ASSERT_LT(at("set"), static_cast<std::ptrdiff_t>(actions.size()));
  EXPECT_LT(at("add"), at("failed"));
  EXPECT_LT(at("failed"), at("set"));
  EXPECT_LT(at("set"), at("verified"));
  EXPECT_EQ(SetDetails("dev/codestral"), std::vector<std::string>{"endpoint default -> codestral"});
  // No secret in any event.
  EXPECT_EQ(Run({"events", "--json"}).out.find(key), std::string::npos);
}

TEST_F(SetTest, DroppingTheDeniedModelMakesTheSlotUsable) {
  std::string key = FakeKey("openrouter");
  Start({{{"key", key},
          {"provider", "openrouter"},
          {"allowed_models", {"deepseek/deepseek-chat"}},
          {"denial", "401_no_auth"}}});
  ASSERT_EQ(Add("dev/or", "openrouter", "google/gemini-2.5-pro-preview,deepseek/deepseek-chat", key)
                .exit_code,
            3);
  ASSERT_EQ(Show("dev/or")["diagnoses"][0]["code"], "model_denied");

  CliResult set = Run({"set", "dev/or", "--drop-model", "google/gemini-2.5-pro-preview", "--json"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  Json printed = Json::parse(set.out, nullptr, false);
  EXPECT_EQ(printed["models"], Json({"deepseek/deepseek-chat"})) << set.out;
  EXPECT_EQ(printed["ref"], "dev/or");

  Json slot = WaitFor("dev/or", [](const Json& s) { return s["usable"] == true; });
  ASSERT_EQ(slot["usable"], true) << slot.dump(2);
  EXPECT_EQ(CheckedModels(slot["versions"][0]), std::vector<std::string>{"deepseek/deepseek-chat"})
      << "the checks are those of the re-check";
  EXPECT_EQ(Run({"get", "dev/or"}).out, key);
  EXPECT_EQ(
      SetDetails("dev/or"),
      std::vector<std::string>{"models google/gemini-2.5-pro-preview,deepseek/deepseek-chat -> "
                               "deepseek/deepseek-chat"});
}

TEST_F(SetTest, ModelsPinReChecksWhileTheCurrentVersionIsServed) {
  std::string key = FakeKey("openrouter");
  Start({{{"key", key}, {"provider", "openrouter"}}});
  ASSERT_EQ(Add("dev/or", "openrouter", "deepseek/deepseek-chat", key).exit_code, 0);
  const int posts_before = fake_->Posts("openrouter");
  // Every answer now takes 2 s: the re-check is still running below.
  fake_->Admin("POST", "/__admin/settings", {{"latency_ms", 2000}});

  CliResult set = Run({"set", "dev/or", "--models", "anthropic/claude-sonnet-4"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  // The current version is served while it is re-checked.
  CliResult got = Run({"get", "dev/or"});
  EXPECT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, key);
  Json during = Show("dev/or");
  EXPECT_EQ(during["usable"], true);
  EXPECT_EQ(during["models"], Json({"anthropic/claude-sonnet-4"}));

  Json after = WaitFor("dev/or", [](const Json& s) {
    std::vector<std::string> models = CheckedModels(s["versions"][0]);
    return std::find(models.begin(), models.end(), "anthropic/claude-sonnet-4") != models.end();
  });
  EXPECT_EQ(CheckedModels(after["versions"][0]),
            std::vector<std::string>{"anthropic/claude-sonnet-4"})
      << after.dump(2);
  EXPECT_EQ(after["usable"], true);
  EXPECT_EQ(after["versions"].size(), 1u);
  EXPECT_GT(fake_->Posts("openrouter"), posts_before) << "the new models were probed";
  EXPECT_EQ(Run({"get", "dev/or"}).exit_code, 0);
}

TEST_F(SetTest, PolicyChangeMovesTheReminderWithoutAReCheck) {
  std::string key = FakeKey("deepseek");
  Start({{{"key", key}, {"provider", "deepseek"}}}, {{"reminders", {{"repeat_every", "1h"}}}});
  ASSERT_EQ(Add("dev/d", "deepseek", "deepseek-chat", key).exit_code, 0);
  Json before = Show("dev/d");
  const int requests_before = fake_->Count("deepseek");

  // Due at once: the rotation period is its notice.
  CliResult set = Run(
      {"set", "dev/d", "--rotate-every", "2d", "--remind-before", "2d", "--grace", "1d", "--json"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  Json slot = Json::parse(set.out, nullptr, false);
  EXPECT_EQ(slot["rotation"]["rotate_every"], 2 * 86400);
  EXPECT_EQ(slot["rotation"]["remind_before"], 2 * 86400);
  EXPECT_EQ(slot["rotation"]["grace"], 86400);
  EXPECT_NE(slot["rotation_due_at"], before["rotation_due_at"]);
  EXPECT_EQ(slot["reminder_due"], true);
  EXPECT_EQ(slot["versions"][0]["next_check_at"], before["versions"][0]["next_check_at"])
      << "no re-check was scheduled";
  EXPECT_EQ(slot["versions"][0]["checks"], before["versions"][0]["checks"]);

  // The reminder, rescheduled to now, fires.
  std::vector<std::string> actions;
  for (int i = 0; i < 100; ++i) {
    actions = Actions("dev/d");
    if (std::count(actions.begin(), actions.end(), "reminder") > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "reminder"), 1) << daemon_.Log();
  EXPECT_EQ(SetDetails("dev/d"),
            std::vector<std::string>{"rotate_every 90d -> 2d; "
                                     "remind_before 1w -> 2d; grace 1w -> 1d"});
  EXPECT_EQ(fake_->Count("deepseek"), requests_before) << "the key was not probed again";
  EXPECT_EQ(Show("dev/d")["versions"][0]["checks"], before["versions"][0]["checks"]);
}

TEST_F(SetTest, BadChangesAreRefusedAndChangeNothing) {
  std::string key = FakeKey("openrouter");
  Start({{{"key", key}, {"provider", "openrouter"}}});
  ASSERT_EQ(Add("dev/or", "openrouter", "deepseek/deepseek-chat", key).exit_code, 0);
  Json before = Show("dev/or");

  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"set", "dev/or"}, 2, "nothing to change"},
      {{"set", "dev/or", "--json"}, 2, "nothing to change"},
      {{"set", "dev/or", "--models", "a", "--drop-model", "b"}, 2, "excludes"},
      {{"set", "dev/or", "--add-model", "a", "--drop-model", "b"}, 2, "excludes"},
      {{"set", "dev/or", "--probe", "all"}, 2, "--probe"},
      {{"set", "dev/or", "--add-model", "deepseek/deepseek-chat"},
       2,
       "nothing to change: dev/or already has models deepseek/deepseek-chat"},
      {{"set", "dev/or", "--models", "deepseek/deepseek-chat", "--rotate-every", "90d"},
       2,
       "nothing to change"},
      {{"set", "dev/or", "--drop-model", "deepseek/deepseek-chat"},
       1,
       "it is the only model of dev/or"},
      {{"set", "dev/or", "--drop-model", "openai/gpt-4o"}, 1, "is not one of dev/or's models"},
      {{"set", "dev/or", "--models", "a,a"}, 1, "listed twice"},
      {{"set", "dev/or", "--add-model", "bad model"}, 1, "is not valid"},
      {{"set", "dev/or", "--endpoint", "codestral"}, 1, "codestral"},
      {{"set", "dev/or", "--endpoint", "http://example.com/v1"}, 1, "http"},
      {{"set", "dev/or", "--rotate-every", "soon"}, 1, "--rotate-every"},
      {{"set", "dev/or", "--grace", "0d"}, 1, "--grace"},
      {{"set", "dev/none", "--grace", "1d"}, 4, "no slot dev/none"},
  };
  for (const Case& c : cases) {
    CliResult r = Run(c.args);
    std::string shown;
    for (const std::string& a : c.args) shown += a + " ";
    EXPECT_EQ(r.exit_code, c.exit_code) << shown << r.err;
    EXPECT_NE(r.err.find("keywarden: error: "), std::string::npos) << shown << r.err;
    EXPECT_NE(r.err.find(c.error), std::string::npos) << shown << r.err;
    EXPECT_TRUE(r.out.empty()) << shown << r.out;
  }
  Json after = Show("dev/or");
  for (const char* field : {"models", "endpoint", "probe", "rotation", "versions"}) {
    EXPECT_EQ(after[field], before[field]) << field;
  }
  EXPECT_TRUE(SetDetails("dev/or").empty());
}

}  // namespace
}  // namespace keywarden::testing
