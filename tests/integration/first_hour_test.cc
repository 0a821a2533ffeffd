// The first hour with keywarden: waits that end when waiting cannot help,
// one state and one diagnosis per cause, a rotation to the key already
// served refused, a killed daemon's check resumed at the next start, and
// the current key served during a rotation. Real daemon, CLI and fake
// provider.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include "integration/provider_fixture.h"

namespace keywarden::testing {
namespace {

class FirstHourTest : public ProviderTest {
 protected:
  static const Json& VersionOf(const Json& slot, int number) {
    static const Json kNull;
    for (const Json& v : slot["versions"]) {
      if (v["version"] == number) return v;
    }
    return kNull;
  }

  static std::vector<std::string> Codes(const Json& version) {
    std::vector<std::string> out;
    for (const Json& d : version["diagnoses"]) out.push_back(d["code"]);
    return out;
  }

  static bool Has(const std::vector<std::string>& codes, const std::string& code) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
  }

  // The value of the `label` row of `show`'s table.
  static std::string Row(const std::string& out, const std::string& label) {
    size_t at = out.find("\n" + label + " ");
    if (at == std::string::npos) at = out.rfind(label + " ", 0) == 0 ? 0 : std::string::npos;
    if (at == std::string::npos) return "";
    if (out[at] == '\n') ++at;
    size_t end = out.find('\n', at);
    std::string line = out.substr(at + label.size(), end - at - label.size());
    return line.substr(line.find_first_not_of(' '));
  }
};

// --- 1. A rotation to the secret the slot serves -------------------------

TEST_F(FirstHourTest, RotatingToTheServedOrPendingKeyIsRefused) {
  std::string k1 = FakeKey("deepseek"), k2 = FakeKey("deepseek");
  Start({{{"key", k1}, {"provider", "deepseek"}},
         {{"key", k2}, {"provider", "deepseek"}, {"activates_after_s", 600}}});
  ASSERT_EQ(
      Run({"add", "dev/d", "--provider", "deepseek", "--models", "deepseek-chat", "--wait"}, k1)
          .exit_code,
      0);
  // The same key, also with the whitespace the format check trims.
  for (const std::string& same : {k1, "  " + k1 + "\n"}) {
    CliResult r = Run({"rotate", "dev/d"}, same);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("keywarden: error: this key is already the current version 1 of dev/d"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("keywarden: hint: rotate to a new key"), std::string::npos) << r.err;
  }
  Json slot = Show("dev/d");
  EXPECT_EQ(slot["versions"].size(), 1u) << "nothing was stored";
  EXPECT_TRUE(slot["pending_version"].is_null());

  // The pending key offered again is named as such, not as "still pending".
  ASSERT_EQ(Run({"rotate", "dev/d"}, k2).exit_code, 0);
  CliResult again = Run({"rotate", "dev/d"}, k2);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("this key is already the pending version 2 of dev/d"), std::string::npos)
      << again.err;
}

// --- 2. --wait ends when waiting cannot change the outcome ---------------

TEST_F(FirstHourTest, WaitEndsAtOnceForAKeyShapedLikeAnotherProviders) {
  Start(Json::array());
  // An OpenRouter key given as a Mistral key: Mistral's activation window
  // is 10 minutes, but this key will never activate there.
  auto started = std::chrono::steady_clock::now();
  CliResult r = Run({"add", "dev/m", "--provider", "mistral", "--models", "mistral-small-2506",
                     "--wait", "--timeout", "5m"},
                    FakeKey("openrouter"));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("waiting will not change that"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("looks_like_other_provider"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("not_yet_active"), std::string::npos) << r.err;
  // Not a speed bound: the 5-minute timeout was not run out.
  EXPECT_LT(took, std::chrono::minutes(4));
  // The daemon fails it at the confirmation, not at the window's end.
  Json slot = WaitFor("dev/m", [](const Json& s) { return s["state"] == "failed"; });
  EXPECT_EQ(slot["state"], "failed") << slot.dump(2);
  EXPECT_TRUE(Has(Codes(VersionOf(slot, 1)), "invalid_key")) << slot.dump(2);
}

TEST_F(FirstHourTest, WaitEndsAtOnceForAMalformedKey) {
  Start(Json::array());
  CliResult r = Run({"add", "dev/m", "--provider", "mistral", "--models", "mistral-small-2506",
                     "--wait", "--timeout", "5m"},
                    "abc123def456");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("warning: this key does not have the shape of a Mistral key"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("malformed_key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("waiting will not change that"), std::string::npos) << r.err;
}

TEST_F(FirstHourTest, WaitEndsAtOnceForAnEndpointThatRefusesConnections) {
  Start(Json::array());
  // Port 1 on loopback: nothing listens there.
  CliResult r = Run({"add", "dev/local", "--provider", "openai-compatible", "--endpoint",
                     "http://127.0.0.1:1/v1", "--models", "llama", "--wait", "--timeout", "5m"},
                    "local-key-123456");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("the slot's endpoint cannot be reached"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("endpoint_unreachable"), std::string::npos) << r.err;
  // Still pending: the daemon goes on re-checking (the server may start).
  EXPECT_EQ(Show("dev/local")["state"], "pending");
}

TEST_F(FirstHourTest, PendingActivationSaysTheNextCheckThenTheWindowEnd) {
  std::string key = FakeKey("mistral");
  Start({{{"key", key}, {"provider", "mistral"}, {"activates_after_s", 3600}}});
  CliResult r = Run({"add", "dev/m", "--provider", "mistral", "--models", "mistral-small-2506",
                     "--wait", "--timeout", "10s"},
                    key);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("still pending after 10s"), std::string::npos) << r.err;
  size_t next = r.err.find("not active yet; next check at ");
  size_t end = r.err.find(", giving up at ");
  ASSERT_NE(next, std::string::npos) << r.err;
  ASSERT_NE(end, std::string::npos) << r.err;
  EXPECT_LT(next, end);
  EXPECT_NE(r.err.find("(activation window 10m)"), std::string::npos) << r.err;
  // The two times in the sentence: the next check never after the end.
  std::string next_at = r.err.substr(next + 30, 20), end_at = r.err.substr(end + 15, 20);
  EXPECT_LE(next_at, end_at) << r.err;
}

// --- 3. One state, one diagnosis per cause --------------------------------

TEST_F(FirstHourTest, AnUnknownAliasIsNotFoundOnlyNotAlsoAnAlias) {
  std::string key = FakeKey("mistral");
  Start({{{"key", key},
          {"provider", "mistral"},
          {"denied_models", {"mistral-medium-latest"}},
          {"denial", "404"}}});
  CliResult r = Run({"add", "dev/m", "--provider", "mistral", "--models",
                     "mistral-medium-latest,mistral-small-latest", "--wait"},
                    key);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  Json slot = Show("dev/m");
  const Json& v = VersionOf(slot, 1);
  std::vector<std::string> codes = Codes(v);
  EXPECT_TRUE(Has(codes, "model_not_found")) << slot.dump(2) << r.err;
  for (const Json& d : v["diagnoses"]) {
    if (d["code"] != "model_alias") continue;
    std::string text = d["message"];
    EXPECT_EQ(text.find("mistral-medium-latest"), std::string::npos)
        << "an alias note for a model the key cannot use: " << text;
    EXPECT_NE(text.find("mistral-small-latest"), std::string::npos) << text;
  }
}

TEST_F(FirstHourTest, ListProbeCallsAnOpenRouterModelLeftOutOfTheKeysListDenied) {
  std::string key = FakeKey("openrouter");
  Start(
      {{{"key", key}, {"provider", "openrouter"}, {"allowed_models", {"deepseek/deepseek-chat"}}}});
  CliResult r = Run({"add", "dev/or", "--provider", "openrouter", "--probe", "list", "--models",
                     "google/gemini-2.5-pro-preview,no-such/model", "--wait"},
                    key);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  Json slot = Show("dev/or");
  std::map<std::string, std::string> outcome;
  for (const Json& c : VersionOf(slot, 1)["checks"]) outcome[c["model"]] = c["outcome"];
  EXPECT_EQ(outcome["google/gemini-2.5-pro-preview"], "denied") << slot.dump(2);
  EXPECT_EQ(outcome["no-such/model"], "not_found") << slot.dump(2);
  for (const Json& d : VersionOf(slot, 1)["diagnoses"]) {
    std::string text = d["message"];
    if (d["code"] == "model_not_found") {
      EXPECT_EQ(text.find("gemini-2.5-pro-preview"), std::string::npos) << text;
    }
  }
}

// --- 5. get during a pending rotation; the state line --------------------

TEST_F(FirstHourTest, GetServesTheCurrentKeyWithExitZeroWhileARotationIsPending) {
  std::string k1 = FakeKey("openai"), k2 = FakeKey("openai");
  Start({{{"key", k1}, {"provider", "openai"}},
         {{"key", k2}, {"provider", "openai"}, {"activates_after_s", 600}}});
  ASSERT_EQ(
      Run({"add", "dev/o", "--provider", "openai", "--models", "gpt-4o", "--wait"}, k1).exit_code,
      0);
  ASSERT_EQ(Run({"rotate", "dev/o"}, k2).exit_code, 0);
  Json slot = WaitFor("dev/o", [](const Json& s) {
    return !VersionOf(s, 2)["diagnoses"].empty();  // the new key's first check ran
  });
  EXPECT_EQ(slot["state"], "pending");
  EXPECT_EQ(slot["usable"], true);
  EXPECT_EQ(slot["current_version"], 1);
  CliResult got = Run({"get", "dev/o"});
  EXPECT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, k1);

  // The state line never pairs a state with its contradiction.
  CliResult shown = Run({"show", "dev/o"});
  EXPECT_EQ(Row(shown.out, "state"), "verified; new key pending") << shown.out;
  EXPECT_EQ(shown.out.find("pending, usable"), std::string::npos) << shown.out;
  CliResult listed = Run({"list"});
  EXPECT_NE(listed.out.find("verified; new key pending"), std::string::npos) << listed.out;
}

TEST_F(FirstHourTest, ARolledBackSlotReadsVerifiedNotRetired) {
  std::string k1 = FakeKey("deepseek"), k2 = FakeKey("deepseek");
  Start({{{"key", k1}, {"provider", "deepseek"}}, {{"key", k2}, {"provider", "deepseek"}}});
  ASSERT_EQ(
      Run({"add", "dev/d", "--provider", "deepseek", "--models", "deepseek-chat", "--wait"}, k1)
          .exit_code,
      0);
  ASSERT_EQ(Run({"rotate", "dev/d", "--wait"}, k2).exit_code, 0);
  ASSERT_EQ(Run({"rollback", "dev/d", "--wait"}).exit_code, 0);
  Json slot = Show("dev/d");
  EXPECT_EQ(slot["state"], "retired");  // the JSON keeps the newest version's state
  CliResult shown = Run({"show", "dev/d"});
  EXPECT_EQ(shown.out.find("retired, usable"), std::string::npos) << shown.out;
  EXPECT_EQ(Row(shown.out, "state"), "verified") << shown.out;
  EXPECT_EQ(Row(shown.out, "usable").substr(0, 3), "yes") << shown.out;
}

// --- 4. A killed daemon's check resumes at the next start ------------------

TEST_F(FirstHourTest, ACheckInterruptedBySigkillResumesAtTheNextStart) {
  std::string key = FakeKey("mistral");
  // The first answer comes after 15 s: the daemon is killed while it waits.
  Start({{{"key", key},
          {"provider", "mistral"},
          {"script", {{{"status", 200}, {"delay_ms", 15000}}}}}});
  ASSERT_EQ(Run({"add", "dev/m", "--provider", "mistral", "--models", "mistral-small-2506"}, key)
                .exit_code,
            0);
  // The check has its lease once next_check_at moved past the add.
  Json slot = WaitFor("dev/m", [](const Json& s) {
    const Json& v = VersionOf(s, 1);
    return v["next_check_at"].is_string() && v["next_check_at"] != v["created_at"];
  });
  const Json& leased = VersionOf(slot, 1);
  ASSERT_NE(leased["next_check_at"], leased["created_at"]) << slot.dump(2);
  ASSERT_EQ(leased["state"], "pending");
  daemon_.Kill();
  std::string why;
  ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  // The lease (over a minute) is not waited out: the check runs again now.
  // A generous bound, well under the lease.
  Json after = WaitFor("dev/m", [](const Json& s) { return s["state"] == "verified"; });
  EXPECT_EQ(after["state"], "verified") << after.dump(2);
  EXPECT_NE(daemon_.Log().find("resuming checks interrupted by a stop"), std::string::npos)
      << daemon_.Log();
}

}  // namespace
}  // namespace keywarden::testing
