// Validation through the real daemon against the project's fake provider on
// 127.0.0.1: the probe ladder, both seed stories, activation, retries,
// revalidation and schedules that survive a kill.
#include <gtest/gtest.h>

#include <thread>

#include "integration/provider_fixture.h"

namespace keywarden::testing {
namespace {

class ValidationTest : public ProviderTest {
 protected:
  static bool HasDiagnosis(const Json& slot, const std::string& code) {
    for (const Json& d : slot["diagnoses"]) {
      if (d["code"] == code) return true;
    }
    return false;
  }

  static const Json& CheckFor(const Json& slot, const std::string& model) {
    static const Json kNone;
    for (const Json& c : slot["versions"].back()["checks"]) {
      if (c["model"] == model) return c;
    }
    return kNone;
  }
};

TEST_F(ValidationTest, KeyWorkingForEveryModelIsVerifiedAndServed) {
  std::string key = FakeKey("openrouter");
  Start({{{"key", key}, {"provider", "openrouter"}}});
  CliResult r =
      Add("dev/openrouter", "openrouter", "deepseek/deepseek-chat,anthropic/claude-sonnet-4", key);
  ASSERT_EQ(r.exit_code, 0) << r.err << daemon_.Log();
  Json slot = Show("dev/openrouter");
  EXPECT_EQ(slot["state"], "verified");
  EXPECT_EQ(slot["usable"], true);
  EXPECT_EQ(slot["current_version"], 1);
  EXPECT_EQ(slot["versions"][0]["billed_probes"], 2);
  EXPECT_FALSE(slot["versions"][0]["verified_at"].is_null());
  EXPECT_FALSE(slot["versions"][0]["next_check_at"].is_null()) << "revalidation is scheduled";
  EXPECT_EQ(fake_->Posts("openrouter"), 2);
  EXPECT_EQ(fake_->Count("openrouter", "/key"), 1);

  CliResult got = daemon_.Cli({"get", "dev/openrouter"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, key);
  EXPECT_NE(daemon_.Cli({"events", "--json"}).out.find("\"verified\""), std::string::npos);
  // Every probe sent OpenRouter's max_tokens.
  for (const Json& req : Requests()) {
    if (req["method"] == "POST") {
      EXPECT_EQ(req["body"]["max_tokens"], 1) << req.dump();
    }
  }
}

TEST_F(ValidationTest, OpenRouterStoryKeyFineForDeepSeekButDeniedForGeminiFails) {
  std::string key = FakeKey("openrouter");
  Start({{{"key", key},
          {"provider", "openrouter"},
          {"allowed_models", {"deepseek/deepseek-chat"}},
          {"denial", "401_no_auth"}}});
  CliResult r = Add("dev/openrouter", "openrouter",
                    "google/gemini-2.5-pro-preview,deepseek/deepseek-chat", key);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("google/gemini-2.5-pro-preview"), std::string::npos) << r.err;
  Json slot = Show("dev/openrouter");
  EXPECT_EQ(slot["state"], "failed");
  EXPECT_EQ(slot["usable"], false);
  const Json& gemini = CheckFor(slot, "google/gemini-2.5-pro-preview");
  EXPECT_EQ(gemini["outcome"], "denied");
  EXPECT_EQ(gemini["http_status"], 401);
  EXPECT_NE(gemini["detail"].get<std::string>().find("No auth credentials found"),
            std::string::npos);
  EXPECT_EQ(CheckFor(slot, "deepseek/deepseek-chat")["outcome"], "ok");
  ASSERT_TRUE(HasDiagnosis(slot, "model_denied")) << slot.dump(2);
  EXPECT_NE(
      slot["diagnoses"][0]["message"].get<std::string>().find("google/gemini-2.5-pro-preview"),
      std::string::npos);
  EXPECT_EQ(daemon_.Cli({"get", "dev/openrouter"}).exit_code, 3);
  EXPECT_TRUE(slot["versions"][0]["next_check_at"].is_null()) << "a failed key is not retried";
}

TEST_F(ValidationTest, CodestralKeyOnTheGeneralEndpointIsDiagnosed) {
  std::string key = FakeKey("mistral");
  Start({{{"key", key}, {"provider", "mistral"}, {"mistral_kind", "codestral"}}});
  CliResult r = Add("dev/codestral", "mistral", "codestral-2508", key);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  Json slot = Show("dev/codestral");
  EXPECT_EQ(slot["state"], "failed");
  ASSERT_EQ(slot["diagnoses"][0]["code"], "codestral_key_on_general_endpoint") << slot.dump(2);
  std::string message = slot["diagnoses"][0]["message"];
  EXPECT_NE(message.find("--endpoint codestral"), std::string::npos) << message;
  EXPECT_NE(message.find("Cline"), std::string::npos) << message;
  EXPECT_GE(fake_->Count("codestral", "/fim/completions"), 1) << "the other host was probed";

  // The same key on the right endpoint verifies, with FIM on the codestral host.
  CliResult fixed =
      Add("dev/codestral2", "mistral", "codestral-2508", key, {"--endpoint", "codestral"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
}

TEST_F(ValidationTest, GeneralKeyOnTheCodestralEndpointIsDiagnosed) {
  std::string key = FakeKey("mistral");
  Start({{{"key", key}, {"provider", "mistral"}}});
  CliResult r = Add("dev/m", "mistral", "codestral-2508", key, {"--endpoint", "codestral"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  Json slot = Show("dev/m");
  EXPECT_EQ(slot["diagnoses"][0]["code"], "general_key_on_codestral_endpoint") << slot.dump(2);
}

TEST_F(ValidationTest, NewMistralKeyVerifiesByItselfOnceActive) {
  std::string key = FakeKey("mistral");
  Start({{{"key", key}, {"provider", "mistral"}, {"activates_after_s", 3}}},
        {{"providers", {{"mistral", {{"activation_window", "1m"}}}}}});
  CliResult added =
      daemon_.Cli({"add", "dev/mistral", "--provider", "mistral", "--models", "mistral-small-2506"},
                  {.stdin_data = key});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  Json early = WaitFor("dev/mistral", [](const Json& s) { return !s["diagnoses"].empty(); });
  EXPECT_EQ(early["state"], "pending");
  EXPECT_TRUE(HasDiagnosis(early, "not_yet_active")) << early.dump(2);
  EXPECT_EQ(daemon_.Cli({"get", "dev/mistral"}).exit_code, 3);
  Json later = WaitFor("dev/mistral", [](const Json& s) { return s["state"] != "pending"; });
  EXPECT_EQ(later["state"], "verified") << later.dump(2);
  EXPECT_GE(fake_->Count("mistral", "/models"), 2) << "the key was re-checked";
}

TEST_F(ValidationTest, OneTransient401DoesNotFailAKey) {
  std::string key = FakeKey("deepseek");
  // The 401 arrives after the (1 s) activation window, so it is not
  // "not yet active"; it must be confirmed before the key fails.
  Start({{{"key", key},
          {"provider", "deepseek"},
          {"script", {{{"status", 401}, {"delay_ms", 1500}}}}}},
        {{"providers", {{"deepseek", {{"activation_window", "1s"}}}}}});
  CliResult r = Add("dev/deepseek", "deepseek", "deepseek-chat", key);
  EXPECT_EQ(r.exit_code, 0) << r.err << daemon_.Log();
  EXPECT_EQ(Show("dev/deepseek")["state"], "verified");
  EXPECT_GE(fake_->Count("deepseek", "/user/balance"), 2);
}

TEST_F(ValidationTest, UnknownKeyFailsAfterConfirmation) {
  Start(Json::array(), {{"providers", {{"deepseek", {{"activation_window", "1s"}}}}}});
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::string key = FakeKey("deepseek");
  CliResult added =
      daemon_.Cli({"add", "dev/ds", "--provider", "deepseek", "--models", "deepseek-chat"},
                  {.stdin_data = key});
  ASSERT_EQ(added.exit_code, 0);
  Json slot = WaitFor("dev/ds", [](const Json& s) { return s["state"] == "failed"; });
  EXPECT_EQ(slot["state"], "failed") << slot.dump(2);
  EXPECT_TRUE(HasDiagnosis(slot, "invalid_key"));
  EXPECT_EQ(fake_->Posts("deepseek"), 0) << "no billed probe for a key that does not authenticate";
}

TEST_F(ValidationTest, RateLimitIsInconclusiveAndRetriedAfterRetryAfter) {
  std::string key = FakeKey("openai");
  Start({{{"key", key},
          {"provider", "openai"},
          {"script", {200, {{"status", 429}, {"headers", {{"retry-after", "2"}}}}}}}});
  CliResult r = Add("dev/openai", "openai", "gpt-4o", key);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<double> posts;
  for (const Json& req : Requests()) {
    if (req["method"] == "POST") posts.push_back(req["t"].get<double>());
  }
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_GE(posts[1] - posts[0], 1.9) << "Retry-After was not honoured";
}

TEST_F(ValidationTest, ProviderSpecificDenialsAndBilling) {
  std::string gemini = FakeKey("gemini"), openai = FakeKey("openai"),
              anthropic = FakeKey("anthropic");
  Start({{{"key", gemini}, {"provider", "gemini"}, {"allowed_models", {"gemini-2.5-flash"}}},
         {{"key", openai}, {"provider", "openai"}, {"state", "no_credit"}},
         {{"key", anthropic}, {"provider", "anthropic"}}});
  EXPECT_EQ(Add("dev/gemini", "gemini", "gemini-2.5-flash,gemini-2.5-pro", gemini).exit_code, 3);
  Json g = Show("dev/gemini");
  EXPECT_EQ(CheckFor(g, "gemini-2.5-pro")["outcome"], "denied") << g.dump(2);
  EXPECT_EQ(CheckFor(g, "gemini-2.5-pro")["http_status"], 429);
  EXPECT_TRUE(HasDiagnosis(g, "model_denied"));

  EXPECT_EQ(Add("dev/openai", "openai", "gpt-4o", openai).exit_code, 3);
  Json o = Show("dev/openai");
  EXPECT_EQ(CheckFor(o, "gpt-4o")["outcome"], "no_credit") << o.dump(2);
  EXPECT_TRUE(HasDiagnosis(o, "no_credit"));

  EXPECT_EQ(Add("dev/anthropic", "anthropic", "claude-sonnet-4-20250514", anthropic).exit_code, 0);
}

TEST_F(ValidationTest, ReasoningModelsGetMaxCompletionTokens) {
  std::string key = FakeKey("openai");
  Start({{{"key", key}, {"provider", "openai"}}});
  ASSERT_EQ(Add("dev/openai", "openai", "o3-mini,gpt-4o", key).exit_code, 0);
  for (const Json& req : Requests()) {
    if (req["method"] != "POST") continue;
    if (req["model"] == "o3-mini") {
      EXPECT_TRUE(req["body"].contains("max_completion_tokens")) << req.dump();
      EXPECT_FALSE(req["body"].contains("max_tokens")) << req.dump();
    }
  }
}

TEST_F(ValidationTest, AliasIsVerifiedWithTheIdItPointsTo) {
  std::string key = FakeKey("mistral");
  Start({{{"key", key}, {"provider", "mistral"}}});
  ASSERT_EQ(Add("dev/m", "mistral", "mistral-small-latest", key).exit_code, 0);
  Json slot = Show("dev/m");
  ASSERT_TRUE(HasDiagnosis(slot, "model_alias")) << slot.dump(2);
  for (const Json& d : slot["diagnoses"]) {
    if (d["code"] == "model_alias") {
      EXPECT_NE(d["message"].get<std::string>().find("mistral-small-2506"), std::string::npos);
    }
  }
  // Mistral gets no fields it does not know.
  for (const Json& req : Requests()) {
    if (req["method"] == "POST") {
      for (const auto& [field, value] : req["body"].items()) {
        EXPECT_TRUE(field == "model" || field == "messages" || field == "max_tokens") << field;
      }
    }
  }
}

TEST_F(ValidationTest, ListProbeSendsNoBilledRequest) {
  std::string key = FakeKey("openai");
  Start({{{"key", key}, {"provider", "openai"}}});
  ASSERT_EQ(Add("dev/o", "openai", "gpt-4o", key, {"--probe", "list"}).exit_code, 0);
  EXPECT_EQ(Show("dev/o")["versions"][0]["billed_probes"], 0);
  EXPECT_EQ(fake_->Posts("openai"), 0);
  EXPECT_EQ(Add("dev/o2", "openai", "gpt-nonexistent", key, {"--probe", "list"}).exit_code, 3);
}

TEST_F(ValidationTest, KeyRevokedAtTheProviderBecomesUnusableOnRevalidation) {
  std::string key = FakeKey("anthropic");
  Start({{{"key", key}, {"provider", "anthropic"}}},
        {{"validation", {{"revalidate_every", "2s"}}}});
  ASSERT_EQ(Add("dev/a", "anthropic", "claude-sonnet-4-20250514", key).exit_code, 0);
  fake_->AddKeys({{{"key", key}, {"provider", "anthropic"}, {"state", "revoked"}}});
  Json slot = WaitFor("dev/a", [](const Json& s) { return s["usable"] == false; });
  EXPECT_EQ(slot["usable"], false) << slot.dump(2);
  EXPECT_EQ(daemon_.Cli({"get", "dev/a"}).exit_code, 3);
  CliResult events = daemon_.Cli({"events", "dev/a", "--json"});
  EXPECT_NE(events.out.find("\"alert\""), std::string::npos) << events.out;
}

TEST_F(ValidationTest, ScheduledChecksResumeAfterKill9) {
  std::string key = FakeKey("mistral");
  Start({{{"key", key}, {"provider", "mistral"}, {"activates_after_s", 4}}},
        {{"providers", {{"mistral", {{"activation_window", "1m"}}}}}});
  ASSERT_EQ(daemon_
                .Cli({"add", "dev/m", "--provider", "mistral", "--models", "mistral-small-2506"},
                     {.stdin_data = key})
                .exit_code,
            0);
  WaitFor("dev/m", [](const Json& s) { return !s["diagnoses"].empty(); });
  daemon_.Kill();
  std::string why;
  ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  Json slot = WaitFor("dev/m", [](const Json& s) { return s["state"] != "pending"; });
  EXPECT_EQ(slot["state"], "verified") << slot.dump(2);
}

TEST_F(ValidationTest, ValidateRerunsTheLadderAndWaits) {
  std::string key = FakeKey("deepseek");
  Start({{{"key", key}, {"provider", "deepseek"}}});
  ASSERT_EQ(Add("dev/ds", "deepseek", "deepseek-chat", key).exit_code, 0);
  int before = fake_->Posts("deepseek");
  CliResult r = daemon_.Cli({"validate", "dev/ds", "--wait", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fake_->Posts("deepseek"), before + 1);
  EXPECT_EQ(Json::parse(r.out)[0]["usable"], true);
  EXPECT_EQ(daemon_.Cli({"validate", "--all", "--wait"}).exit_code, 0);
}

TEST_F(ValidationTest, CheckProbesAKeyWithoutStoringIt) {
  std::string key = FakeKey("openrouter");
  Start({{{"key", key},
          {"provider", "openrouter"},
          {"allowed_models", {"deepseek/deepseek-chat"}},
          {"denial", "401_no_auth"}}});
  CliResult good =
      daemon_.Cli({"check", "--provider", "openrouter", "--models", "deepseek/deepseek-chat"},
                  {.stdin_data = key});
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
  EXPECT_NE(good.out.find("verified"), std::string::npos);
  CliResult bad = daemon_.Cli(
      {"check", "--provider", "openrouter", "--models", "google/gemini-2.5-pro-preview", "--json"},
      {.stdin_data = key});
  EXPECT_EQ(bad.exit_code, 3);
  Json verdict = Json::parse(bad.out);
  EXPECT_EQ(verdict["verdict"], "failed");
  EXPECT_EQ(verdict["diagnoses"][0]["code"], "model_denied");
  EXPECT_EQ(Json::parse(daemon_.Cli({"list", "--json"}).out).size(), 0u);
  std::string which;
  EXPECT_FALSE(AnyFileContains(daemon_.home(), key, &which)) << which;
}

}  // namespace
}  // namespace keywarden::testing
