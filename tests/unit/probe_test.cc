// The probe ladder's requests and verdicts, over recorded provider answers
// (tests/unit/testdata/probe, bodies as quoted in providers.md and served by
// tests/fake_provider).
#include "validation/probe.h"

#include <gtest/gtest.h>
#include <time.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace keywarden {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

std::string Recorded(std::string_view name) {
  std::ifstream in(std::string(KW_SOURCE_DIR) + "/tests/unit/testdata/probe/" + std::string(name),
                   std::ios::binary);
  EXPECT_TRUE(in) << "missing recording " << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const ProviderInfo& Provider(std::string_view id) { return *Catalogue::Builtin().Find(id); }

HttpResponse Answer(int status, std::string body, std::map<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

ProbeTarget Target(std::string_view provider, std::string_view endpoint = "default",
                   const Config& config = {}) {
  auto target = ResolveTarget(Catalogue::Builtin(), config, Provider(provider), endpoint);
  EXPECT_TRUE(target) << (target ? "" : target.error().message);
  return target.value_or(ProbeTarget{});
}

std::string Secret(const HttpRequest& r) { return std::string(r.secret_header.view()); }

constexpr auto kAuth = ProbeStage::kAuth;
constexpr auto kModel = ProbeStage::kModel;

struct Case {
  std::string_view provider;
  ProbeStage stage;
  int status;
  std::string_view recording;
  std::map<std::string, std::string> headers;
  Outcome outcome;
  std::string_view diagnosis;
  std::optional<milliseconds> retry_after;
  std::string_view detail;  // a part of the expected detail
};

TEST(ClassifyTest, RecordedProviderAnswersGiveTheDocumentedOutcome) {
  using O = Outcome;
  const std::optional<milliseconds> none;
  // clang-format off
  const std::vector<Case> cases = {
      {"openrouter", kModel, 401, "openrouter_401_no_auth.json", {}, O::kAuthFailed, "invalid_key", none, "No auth credentials found"},
      {"openrouter", kAuth, 401, "openrouter_401_user_not_found.json", {}, O::kAuthFailed, "invalid_key", none, "User not found."},
      {"openrouter", kModel, 400, "openrouter_400_invalid_model.json", {}, O::kNotFound, "model_not_found", none, "claude-sonnet-4-6 is not a valid model ID"},
      {"openrouter", kModel, 402, "openrouter_402_credits.json", {}, O::kNoCredit, "no_credit", none, "can only afford 27342"},
      {"openrouter", kModel, 403, "openrouter_403_key_limit.json", {}, O::kNoCredit, "key_limit_exceeded", none, "Key limit exceeded (total limit)"},
      {"openrouter", kModel, 429, "openrouter_429_free_per_day.json", {{"retry-after", "30"}}, O::kRateLimited, "rate_limited", milliseconds(30000), "free-models-per-day"},
      {"openrouter", kModel, 200, "openrouter_200_error.json", {}, O::kRateLimited, "rate_limited", none, "Rate limit exceeded"},
      {"openrouter", kAuth, 200, "openrouter_200_key.json", {}, O::kOk, "", none, ""},
      {"openrouter", kAuth, 200, "openrouter_200_key_limit_used.json", {}, O::kNoCredit, "key_limit_exceeded", none, "limit_remaining 0"},
      {"mistral", kAuth, 401, "mistral_401_message.json", {}, O::kAuthFailed, "invalid_key", none, "Unauthorized"},
      {"mistral", kAuth, 401, "mistral_401_detail.json", {}, O::kAuthFailed, "invalid_key", none, "Unauthorized"},
      {"mistral", kAuth, 401, "mistral_401_empty.json", {}, O::kAuthFailed, "invalid_key", none, "HTTP 401"},
      {"mistral", kModel, 400, "mistral_400_invalid_model.json", {}, O::kNotFound, "model_not_found", none, "Invalid model: mistral-medium-3.5"},
      {"mistral", kModel, 422, "mistral_422_extra_forbidden.json", {}, O::kUnavailable, "", none, "body.store: Extra inputs are not permitted; body.max_completion_tokens"},
      {"mistral", kModel, 429, "mistral_429_rate_limited.json", {}, O::kRateLimited, "rate_limited", none, "Rate limit exceeded"},
      {"gemini", kAuth, 400, "gemini_400_api_key_invalid.json", {}, O::kAuthFailed, "invalid_key", none, "API_KEY_INVALID: API key not valid."},
      {"gemini", kAuth, 403, "gemini_403_service_disabled.json", {}, O::kDenied, "api_disabled", none, "SERVICE_DISABLED: Generative Language API has not been used"},
      {"gemini", kAuth, 403, "gemini_403_unregistered.json", {}, O::kAuthFailed, "invalid_key", none, "PERMISSION_DENIED: Method doesn't allow unregistered callers"},
      {"gemini", kModel, 429, "gemini_429_limit0.json", {}, O::kDenied, "model_denied", none, "limit: 0, model: gemini-2.5-pro"},
      // "limit: 0" is a model denial only on generateContent; elsewhere a 429 is a 429.
      {"gemini", kAuth, 429, "gemini_429_limit0.json", {}, O::kRateLimited, "rate_limited", milliseconds(51000), "RESOURCE_EXHAUSTED"},
      {"gemini", kModel, 429, "gemini_429_retry_delay.json", {}, O::kRateLimited, "rate_limited", milliseconds(12500), "limit: 10"},
      {"gemini", kModel, 404, "gemini_404_model.json", {}, O::kNotFound, "model_not_found", none, "models/gemini-pro is not found"},
      {"gemini", kModel, 503, "gemini_503_overloaded.json", {}, O::kUnavailable, "", none, "UNAVAILABLE: The model is overloaded"},
      {"openai", kModel, 429, "openai_429_insufficient_quota.json", {{"retry-after", "20"}}, O::kNoCredit, "no_credit", none, "You exceeded your current quota"},
      {"openai", kModel, 429, "openai_429_rate_limit.json", {{"retry-after-ms", "1500"}, {"retry-after", "2"}, {"x-ratelimit-reset-requests", "1.5s"}}, O::kRateLimited, "rate_limited", milliseconds(1500), "Rate limit reached for gpt-4o-mini"},
      {"openai", kModel, 401, "openai_401_missing_scopes.json", {}, O::kDenied, "model_denied", none, "Missing scopes: model.request"},
      {"openai", kAuth, 401, "openai_401_invalid_key.json", {}, O::kAuthFailed, "invalid_key", none, "sk-PMafP***************************************E873"},
      {"openai", kAuth, 401, "openai_401_openrouter_key.json", {}, O::kAuthFailed, "invalid_key", none, "Incorrect API key provided: sk-or-v1*****"},
      {"openai", kModel, 404, "openai_404_model_not_found.json", {}, O::kNotFound, "model_not_found", none, "The model `gpt-4o` does not exist"},
      {"openai", kModel, 400, "openai_400_unsupported_parameter.json", {}, O::kUnavailable, "", none, "Unsupported parameter: 'max_tokens'"},
      {"anthropic", kAuth, 401, "anthropic_401_invalid_key.json", {}, O::kAuthFailed, "invalid_key", none, "invalid x-api-key"},
      // trufflehog: GET /v1/models answers 404 for a disabled key.
      {"anthropic", kAuth, 404, "anthropic_404_model.json", {}, O::kAuthFailed, "invalid_key", none, ""},
      {"anthropic", kModel, 404, "anthropic_404_model.json", {}, O::kNotFound, "model_not_found", none, "model: sonnet4"},
      {"anthropic", kModel, 400, "anthropic_400_credit.json", {}, O::kNoCredit, "no_credit", none, "credit balance is too low"},
      {"anthropic", kModel, 529, "anthropic_529_overloaded.json", {}, O::kUnavailable, "", none, "Overloaded"},
      {"anthropic", kModel, 429, "anthropic_429_rate_limit.json", {{"retry-after", "7"}}, O::kRateLimited, "rate_limited", milliseconds(7000), "per-minute rate limit"},
      {"anthropic", kModel, 413, "anthropic_413_cloudflare.html", {}, O::kUnavailable, "", none, "413 Request Entity Too Large"},
      {"deepseek", kAuth, 401, "deepseek_401_invalid_key.json", {}, O::kAuthFailed, "invalid_key", none, "Your api key: ****d569 is invalid"},
      {"deepseek", kModel, 402, "deepseek_402_balance.json", {}, O::kNoCredit, "no_credit", none, "Insufficient Balance"},
      {"deepseek", kAuth, 429, "deepseek_429_lockout.json", {}, O::kRateLimited, "invalid_key", none, "Multiple 401 errors detected"},
      {"deepseek", kAuth, 200, "deepseek_200_balance_unavailable.json", {}, O::kNoCredit, "no_credit", none, "is_available false"},
  };
  // clang-format on
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.provider) + " " + std::to_string(c.status) + " " +
                 std::string(c.recording));
    Verdict v =
        Classify(Provider(c.provider), c.stage, Answer(c.status, Recorded(c.recording), c.headers));
    EXPECT_EQ(OutcomeName(v.outcome), OutcomeName(c.outcome));
    EXPECT_EQ(v.diagnosis, c.diagnosis);
    EXPECT_EQ(v.retry_after, c.retry_after);
    EXPECT_NE(v.detail.find(c.detail), std::string::npos) << v.detail;
    EXPECT_LE(v.detail.size(), 200u);
    if (c.outcome == O::kOk) {
      EXPECT_EQ(v.detail, "");
    }
  }
}

TEST(ClassifyTest, StatusesWithoutARuleFollowHttpConventions) {
  struct Default {
    std::string_view provider;
    ProbeStage stage;
    int status;
    Outcome outcome;
  };
  for (const Default& d : {Default{"deepseek", kModel, 403, Outcome::kAuthFailed},
                           Default{"deepseek", kModel, 404, Outcome::kNotFound},
                           Default{"openai", kModel, 402, Outcome::kNoCredit},
                           Default{"openai", kModel, 408, Outcome::kRateLimited},
                           Default{"openai", kModel, 409, Outcome::kRateLimited},
                           Default{"openai", kModel, 502, Outcome::kUnavailable},
                           Default{"openai", kModel, 418, Outcome::kUnavailable},
                           // openai-compatible's 404 rule is for model probes only.
                           Default{"openai-compatible", kAuth, 404, Outcome::kNotFound}}) {
    Verdict v = Classify(Provider(d.provider), d.stage, Answer(d.status, ""));
    EXPECT_EQ(OutcomeName(v.outcome), OutcomeName(d.outcome)) << d.provider << " " << d.status;
    EXPECT_EQ(v.diagnosis, "") << d.status;
    EXPECT_EQ(v.detail, "HTTP " + std::to_string(d.status));
  }
}

TEST(ClassifyTest, TransportFailureOrTimeoutIsUnavailable) {
  HttpResponse refused;
  refused.error = "Couldn't connect to server";
  Verdict v = Classify(Provider("openai"), kAuth, refused);
  EXPECT_EQ(v.outcome, Outcome::kUnavailable);
  EXPECT_EQ(v.detail, "Couldn't connect to server");
  HttpResponse slow;
  slow.timed_out = true;
  slow.error = "Operation timed out after 20000 milliseconds";
  EXPECT_EQ(Classify(Provider("mistral"), kModel, slow).outcome, Outcome::kUnavailable);
  EXPECT_EQ(Classify(Provider("mistral"), kModel, slow).detail, "timed out");
}

TEST(ClassifyTest, ShouldRetryFalseDropsTheWaitAndSaysSo) {
  Verdict v = Classify(
      Provider("anthropic"), kModel,
      Answer(500,
             R"({"type":"error","error":{"type":"api_error","message":"Internal server error"}})",
             {{"x-should-retry", "false"}, {"retry-after", "3"}}));
  EXPECT_EQ(v.outcome, Outcome::kUnavailable);
  EXPECT_EQ(v.retry_after, std::nullopt);
  EXPECT_EQ(v.detail, "Internal server error (x-should-retry: false)");
}

std::string HttpDate(std::chrono::system_clock::time_point when) {
  time_t t = std::chrono::system_clock::to_time_t(when);
  tm parts{};
  gmtime_r(&t, &parts);
  char text[64];
  strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
  return text;
}

TEST(ClassifyTest, RetryAfterDateAndResetEpochCountFromNow) {
  auto now = std::chrono::system_clock::now();
  auto wait = [](std::map<std::string, std::string> headers) {
    return Classify(Provider("openrouter"), kModel, Answer(429, "{}", std::move(headers)))
        .retry_after;
  };
  auto in_two_minutes = wait({{"retry-after", HttpDate(now + std::chrono::seconds(120))}});
  ASSERT_TRUE(in_two_minutes);
  EXPECT_GT(*in_two_minutes, milliseconds(115000));
  EXPECT_LE(*in_two_minutes, milliseconds(120000));
  EXPECT_EQ(wait({{"retry-after", HttpDate(now - std::chrono::hours(1))}}), milliseconds(0));
  // OpenRouter's own 429s carry only X-RateLimit-Reset, in epoch milliseconds.
  auto epoch_ms = std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count() + 60000;
  auto reset = wait({{"x-ratelimit-reset", std::to_string(epoch_ms)}});
  ASSERT_TRUE(reset);
  EXPECT_GT(*reset, milliseconds(55000));
  EXPECT_EQ(wait({{"retry-after", "soon"}}), std::nullopt);
}

// Issue 18 item 9: what the parser makes of hostile delays. Huge values are
// kept (bounded, so that no arithmetic on them overflows) for Decide to
// clamp; negative, non-finite and malformed ones are no delay at all.
TEST(ClassifyTest, HugeNegativeAndMalformedRetryDelaysAreBoundedOrIgnored) {
  auto wait = [](std::map<std::string, std::string> headers, std::string body = "{}",
                 std::string provider = "openai") {
    return Classify(Provider(provider), kModel, Answer(429, body, std::move(headers))).retry_after;
  };
  const milliseconds kMost(1'000'000'000'000'000);  // the parser's own ceiling
  for (std::string huge : {"99999999999999999999", "1e300", "99999999999999999999.5"}) {
    SCOPED_TRACE(huge);
    std::optional<milliseconds> seconds = wait({{"retry-after", huge}});
    ASSERT_TRUE(seconds);
    EXPECT_LE(*seconds, kMost);
    std::optional<milliseconds> ms = wait({{"retry-after-ms", huge}});
    ASSERT_TRUE(ms);
    EXPECT_LE(*ms, kMost);
  }
  EXPECT_EQ(wait({{"retry-after", "1e400"}}), std::nullopt);  // out of double's range
  for (std::string bad : {"-5", "-0.5", "inf", "-inf", "nan", "infinity", "5s", "0x10", "", " ",
                          "1,5", "Wed, 99 Foo 2026 99:99:99 GMT"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(wait({{"retry-after", bad}}), std::nullopt);
    EXPECT_EQ(wait({{"retry-after-ms", bad}}), std::nullopt);
  }
  // An HTTP date or an OpenRouter reset far in the future is a long but
  // finite wait (past the year 2262, nanosecond clocks used to wrap).
  std::optional<milliseconds> far = wait({{"retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"}});
  ASSERT_TRUE(far);
  EXPECT_GT(*far, milliseconds(1'000'000'000'000));
  EXPECT_LE(*far, kMost);
  std::optional<milliseconds> reset =
      wait({{"x-ratelimit-reset", "99999999999999999999"}}, "{}", "openrouter");
  ASSERT_TRUE(reset);
  EXPECT_GT(*reset, milliseconds(1'000'000'000'000));
  EXPECT_LE(*reset, kMost);
  // Gemini's RetryInfo.retryDelay in the body.
  auto gemini = [&](const std::string& delay) {
    Json body = {
        {"error",
         {{"code", 429},
          {"status", "RESOURCE_EXHAUSTED"},
          {"details",
           {{{"@type", "type.googleapis.com/google.rpc.RetryInfo"}, {"retryDelay", delay}}}}}}};
    return wait({}, body.dump(), "gemini");
  };
  ASSERT_TRUE(gemini("99999999999999999999s"));
  EXPECT_LE(*gemini("99999999999999999999s"), kMost);
  EXPECT_EQ(gemini("-3s"), std::nullopt);
  EXPECT_EQ(gemini("nans"), std::nullopt);
  EXPECT_EQ(gemini("12"), std::nullopt);
}

TEST(ClassifyTest, DetailNeverCarriesAnUnmaskedKey) {
  const std::string openrouter_key = "sk-or-v1-" + std::string(60, 'a') + "94f6";
  const std::string mistral_key = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
  Json body = {{"error", {{"message", "Incorrect API key provided: " + openrouter_key + "."}}}};
  Verdict v = Classify(Provider("openai"), kAuth, Answer(401, body.dump()));
  EXPECT_EQ(v.detail.find(openrouter_key), std::string::npos) << v.detail;
  EXPECT_EQ(v.detail, "Incorrect API key provided: [redacted].");
  body = {{"message", "key " + mistral_key + " unknown"}};
  v = Classify(Provider("mistral"), kAuth, Answer(401, body.dump()));
  EXPECT_EQ(v.detail, "key [redacted] unknown");
}

TEST(ClassifyTest, LongDetailIsCutOnACharacterBoundary) {
  std::string message;
  for (int i = 0; i < 150; ++i) message += "é";
  Json body = {{"error", {{"message", message + "\n\tend"}}}};
  Verdict v = Classify(Provider("openai"), kModel, Answer(500, body.dump()));
  EXPECT_LE(v.detail.size(), 200u);
  EXPECT_TRUE(v.detail.ends_with("…")) << v.detail;
  EXPECT_TRUE(Json(v.detail).dump().find("\\u") == std::string::npos);  // still valid UTF-8
}

// --- requests ---------------------------------------------------------

TEST(ProbeRequestTest, KeyTravelsOnlyInTheSecretHeader) {
  const std::string key = "KEY-0123456789abcdef-SECRET";
  std::vector<ProbeTarget> targets;
  for (const ProviderInfo& p : Catalogue::Builtin().All()) {
    if (!p.custom_url) targets.push_back(Target(p.id));
  }
  targets.push_back(Target("mistral", "codestral"));
  targets.push_back(Target("openai-compatible", "http://127.0.0.1:8080/v1"));
  for (const ProbeTarget& t : targets) {
    SCOPED_TRACE(t.provider->id + "/" + t.endpoint);
    std::vector<HttpRequest> requests;
    requests.push_back(BuildModelProbe(t, "some-model", key));
    if (auto r = BuildAuthProbe(t, key)) requests.push_back(std::move(*r));
    if (auto r = BuildListProbe(t, key)) requests.push_back(std::move(*r));
    if (auto r = BuildOtherHostProbe(Catalogue::Builtin(), Config{}, t, key)) {
      requests.push_back(std::move(r->request));
    }
    for (const HttpRequest& r : requests) {
      EXPECT_EQ(r.url.find(key), std::string::npos) << r.url;
      EXPECT_EQ(r.body.find(key), std::string::npos) << r.body;
      for (const std::string& h : r.headers) EXPECT_EQ(h.find(key), std::string::npos) << h;
      EXPECT_TRUE(Secret(r).ends_with(": " + key) || Secret(r).ends_with(" " + key)) << Secret(r);
    }
  }
  EXPECT_EQ(Secret(BuildModelProbe(Target("openrouter"), "m", key)),
            "Authorization: Bearer " + key);
  EXPECT_EQ(Secret(BuildModelProbe(Target("anthropic"), "m", key)), "x-api-key: " + key);
  EXPECT_EQ(Secret(BuildModelProbe(Target("gemini"), "m", key)), "x-goog-api-key: " + key);
}

TEST(ProbeRequestTest, OpenAiReasoningModelsGetMaxCompletionTokens) {
  HttpRequest o3 = BuildModelProbe(Target("openai"), "o3-mini", "k");
  EXPECT_EQ(o3.method, "POST");
  EXPECT_EQ(o3.url, "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ(Json::parse(o3.body), Json::parse(R"({"model":"o3-mini","max_completion_tokens":1,
      "messages":[{"role":"user","content":"ping"}]})"));
  HttpRequest gpt4o = BuildModelProbe(Target("openai"), "gpt-4o", "k");
  EXPECT_EQ(Json::parse(gpt4o.body), Json::parse(R"({"model":"gpt-4o","max_tokens":1,
      "messages":[{"role":"user","content":"ping"}]})"));
}

TEST(ProbeRequestTest, OpenRouterAlwaysSendsMaxTokens) {
  Json body = Json::parse(BuildModelProbe(Target("openrouter"), "openai/o3-mini", "k").body);
  EXPECT_EQ(body["max_tokens"], 1);
  EXPECT_FALSE(body.contains("max_completion_tokens"));
}

TEST(ProbeRequestTest, MistralChatSendsNothingButModelMessagesMaxTokens) {
  HttpRequest r = BuildModelProbe(Target("mistral"), "mistral-small-latest", "k");
  EXPECT_EQ(r.url, "https://api.mistral.ai/v1/chat/completions");
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"({"model":"mistral-small-latest","max_tokens":1,
      "messages":[{"role":"user","content":"ping"}]})"));
}

TEST(ProbeRequestTest, CodestralUsesFimAndHasNoAuthOrListProbe) {
  ProbeTarget codestral = Target("mistral", "codestral");
  EXPECT_EQ(BuildAuthProbe(codestral, "k"), std::nullopt);
  EXPECT_EQ(BuildListProbe(codestral, "k"), std::nullopt);
  HttpRequest r = BuildModelProbe(codestral, "codestral-latest", "k");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://codestral.mistral.ai/v1/fim/completions");
  EXPECT_EQ(Json::parse(r.body),
            Json::parse(R"({"model":"codestral-latest","prompt":"def f():","max_tokens":1})"));
}

TEST(ProbeRequestTest, GeminiGeneratesContentWithTheGoogleKeyHeader) {
  HttpRequest r = BuildModelProbe(Target("gemini"), "gemini-2.5-pro", "AIzaKEY");
  EXPECT_EQ(
      r.url,
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent");
  EXPECT_EQ(Secret(r), "x-goog-api-key: AIzaKEY");
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"({"contents":[{"parts":[{"text":"ping"}]}],
      "generationConfig":{"maxOutputTokens":1}})"));
  EXPECT_EQ(BuildListProbe(Target("gemini"), "k")->url,
            "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000");
}

TEST(ProbeRequestTest, ModelIdsAreEncodedNotInterpreted) {
  HttpRequest gemini = BuildModelProbe(Target("gemini"), "../x?key=1#", "k");
  EXPECT_TRUE(gemini.url.ends_with("/models/..%2Fx%3Fkey%3D1%23:generateContent")) << gemini.url;
  HttpRequest openai = BuildModelProbe(Target("openai"), "a\",\"max_tokens\":99,\"b", "k");
  Json body = Json::parse(openai.body);
  EXPECT_EQ(body["model"], "a\",\"max_tokens\":99,\"b");
  EXPECT_EQ(body["max_tokens"], 1);
  // Bytes that are not UTF-8 are replaced, not thrown on.
  HttpRequest bad = BuildModelProbe(Target("mistral"), "x\xff", "k");
  EXPECT_EQ(Json::parse(bad.body)["model"], "x\uFFFD");
}

TEST(ProbeRequestTest, AnthropicSendsItsVersionHeaderAndMessages) {
  HttpRequest r = BuildModelProbe(Target("anthropic"), "claude-sonnet-4-5", "k");
  EXPECT_EQ(r.url, "https://api.anthropic.com/v1/messages");
  EXPECT_EQ(r.headers, std::vector<std::string>{"anthropic-version: 2023-06-01"});
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"({"model":"claude-sonnet-4-5","max_tokens":1,
      "messages":[{"role":"user","content":"ping"}]})"));
  EXPECT_EQ(BuildAuthProbe(Target("anthropic"), "k")->headers, r.headers);
}

TEST(ProbeRequestTest, AuthProbesArePerProvider) {
  EXPECT_EQ(BuildAuthProbe(Target("openrouter"), "k")->url, "https://openrouter.ai/api/v1/key");
  EXPECT_EQ(BuildAuthProbe(Target("deepseek"), "k")->url, "https://api.deepseek.com/user/balance");
  EXPECT_EQ(BuildAuthProbe(Target("mistral"), "k")->url, "https://api.mistral.ai/v1/models");
  EXPECT_EQ(BuildAuthProbe(Target("mistral"), "k")->method, "GET");
  EXPECT_EQ(BuildAuthProbe(Target("mistral"), "k")->body, "");
}

TEST(ProbeTargetTest, EndpointNamesAndUrlsResolve) {
  Config config;
  config.providers["openai-compatible"].endpoints["local"] = "http://127.0.0.1:11434/v1";
  config.providers["openai"].endpoints["default"] = "http://127.0.0.1:9000/openai/v1/";
  EXPECT_EQ(Target("mistral", "default").endpoint, "general");
  EXPECT_EQ(Target("mistral", "").endpoint, "general");
  EXPECT_EQ(Target("openrouter", "default").endpoint, "default");
  // A URL that is a named endpoint probes like it (Continue's Codestral docs give the URL).
  ProbeTarget by_url = Target("mistral", "https://codestral.mistral.ai/v1/");
  EXPECT_EQ(by_url.endpoint, "codestral");
  EXPECT_EQ(BuildAuthProbe(by_url, "k"), std::nullopt);
  EXPECT_EQ(Target("mistral", "https://api.eu.mistral.ai/v1").endpoint, "custom");
  EXPECT_EQ(Target("openai-compatible", "https://llm.example/v1").endpoint, "custom");
  ProbeTarget local = Target("openai-compatible", "local", config);
  EXPECT_EQ(local.endpoint, "local");
  EXPECT_EQ(BuildAuthProbe(local, "k")->url, "http://127.0.0.1:11434/v1/models");
  ProbeTarget openai = Target("openai", "default", config);
  EXPECT_EQ(openai.base_url, "http://127.0.0.1:9000/openai/v1");
  EXPECT_EQ(BuildModelProbe(openai, "gpt-4o", "k").url,
            "http://127.0.0.1:9000/openai/v1/chat/completions");
  auto unknown = ResolveTarget(Catalogue::Builtin(), config, Provider("mistral"), "eu");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
}

TEST(ProbeTargetTest, MistralOtherHostProbeCrossesBetweenGeneralAndCodestral) {
  const Catalogue& catalogue = Catalogue::Builtin();
  auto to_codestral = BuildOtherHostProbe(catalogue, Config{}, Target("mistral", "general"), "k");
  ASSERT_TRUE(to_codestral);
  EXPECT_EQ(to_codestral->endpoint, "codestral");
  EXPECT_EQ(to_codestral->diagnosis, "codestral_key_on_general_endpoint");
  EXPECT_EQ(to_codestral->request.method, "POST");
  EXPECT_EQ(to_codestral->request.url, "https://codestral.mistral.ai/v1/fim/completions");
  EXPECT_EQ(Json::parse(to_codestral->request.body),
            Json::parse(R"({"model":"codestral-latest","prompt":"def f():","max_tokens":1})"));
  EXPECT_EQ(Secret(to_codestral->request), "Authorization: Bearer k");

  Config config;
  config.providers["mistral"].endpoints["general"] = "http://127.0.0.1:9000/mistral/v1";
  auto to_general = BuildOtherHostProbe(catalogue, config, Target("mistral", "codestral"), "k");
  ASSERT_TRUE(to_general);
  EXPECT_EQ(to_general->endpoint, "general");
  EXPECT_EQ(to_general->diagnosis, "general_key_on_codestral_endpoint");
  EXPECT_EQ(to_general->request.method, "GET");
  EXPECT_EQ(to_general->request.url, "http://127.0.0.1:9000/mistral/v1/models");

  EXPECT_EQ(BuildOtherHostProbe(catalogue, Config{}, Target("openai"), "k"), std::nullopt);
  EXPECT_EQ(BuildOtherHostProbe(catalogue, Config{},
                                Target("mistral", "https://api.eu.mistral.ai/v1"), "k"),
            std::nullopt);
}

// --- model lists -------------------------------------------------------

ModelList List(std::string_view provider, std::string body) {
  auto list = ParseModelList(Provider(provider), Answer(200, std::move(body)));
  EXPECT_TRUE(list);
  return list.value_or(ModelList{});
}

TEST(ModelListTest, MistralCardsMapAliasesToPinnedIds) {
  ModelList list = List("mistral", Recorded("mistral_200_models.json"));
  EXPECT_TRUE(list.ids.contains("codestral-2501"));
  EXPECT_TRUE(list.ids.contains("codestral-latest"));
  EXPECT_EQ(list.aliases.at("codestral-latest"), "codestral-2508");
  EXPECT_EQ(list.aliases.at("mistral-small-latest"), "mistral-small-2506");
  EXPECT_FALSE(list.aliases.contains("codestral-2508"));
  EXPECT_FALSE(list.aliases.contains("codestral-2501"));
  // A -latest card listed first names its pinned id among its aliases.
  ModelList latest_first = List("mistral", R"({"data":[
      {"id":"codestral-latest","aliases":["codestral-2508"]},
      {"id":"codestral-2508","aliases":["codestral-latest"]}]})");
  EXPECT_EQ(latest_first.aliases,
            (std::map<std::string, std::string>{{"codestral-latest", "codestral-2508"}}));
}

TEST(ModelListTest, OpenAiUndatedIdsPointToDatedSnapshots) {
  ModelList list = List("openai", Recorded("openai_200_models.json"));
  // gpt-4o-2024-11-20 is newer, but the catalogue's table knows better.
  EXPECT_EQ(list.aliases.at("gpt-4o"), "gpt-4o-2024-08-06");
  EXPECT_EQ(list.aliases.at("o3-mini"), "o3-mini-2025-01-31");
  EXPECT_EQ(list.aliases.at("gpt-4.1"), "gpt-4.1-2025-04-14");
  EXPECT_EQ(list.aliases.at("gpt-4o-mini"), "gpt-4o-mini-2024-07-18");
  EXPECT_FALSE(list.aliases.contains("gpt-4.1-mini"));
  EXPECT_FALSE(list.aliases.contains("gpt-4o-2024-08-06"));
  ModelList newest = List("openai", R"({"data":[{"id":"gpt-9"},{"id":"gpt-9-2031-01-01"},
      {"id":"gpt-9-2030-06-01"},{"id":"gpt-9-mini-2032-01-01"}]})");
  EXPECT_EQ(newest.aliases, (std::map<std::string, std::string>{{"gpt-9", "gpt-9-2031-01-01"}}));
  // A router's namespaced ids are its own names; it picks the snapshot.
  ModelList routed = List("openrouter", R"({"data":[{"id":"openai/gpt-4o"},
      {"id":"openai/gpt-4o-2024-11-20"}]})");
  EXPECT_TRUE(routed.aliases.empty());
}

TEST(ModelListTest, GeminiIdsLoseTheModelsPrefix) {
  ModelList list = List("gemini", Recorded("gemini_200_models.json"));
  EXPECT_TRUE(list.ids.contains("gemini-2.5-pro"));
  EXPECT_TRUE(list.ids.contains("gemini-flash-latest"));
  for (const std::string& id : list.ids) EXPECT_FALSE(id.starts_with("models/")) << id;
}

TEST(ModelListTest, AnthropicAliasesComeFromTheKnownTableForListedIds) {
  ModelList list = List("anthropic", Recorded("anthropic_200_models.json"));
  EXPECT_TRUE(list.ids.contains("claude-sonnet-4-5-20250929"));
  EXPECT_EQ(list.aliases.at("claude-sonnet-4-5"), "claude-sonnet-4-5-20250929");
  // claude-opus-4-5-20251101 is not in this key's list.
  EXPECT_FALSE(list.aliases.contains("claude-opus-4-5"));
}

TEST(ModelListTest, ErrorsAndOtherShapesGiveNoList) {
  const ProviderInfo& mistral = Provider("mistral");
  EXPECT_EQ(ParseModelList(mistral, Answer(401, R"({"detail":"Unauthorized"})")), std::nullopt);
  EXPECT_EQ(ParseModelList(mistral, Answer(200, "<html>")), std::nullopt);
  EXPECT_EQ(ParseModelList(mistral, Answer(200, R"({"models":[]})")), std::nullopt);
}

TEST(ModelListTest, KnownAliasReadsTheCatalogueTable) {
  EXPECT_EQ(KnownAlias(Provider("mistral"), "codestral-latest"), "codestral-2508");
  EXPECT_EQ(KnownAlias(Provider("anthropic"), "claude-haiku-4-5"), "claude-haiku-4-5-20251001");
  EXPECT_EQ(KnownAlias(Provider("mistral"), "codestral-2508"), std::nullopt);
  EXPECT_EQ(KnownAlias(Provider("deepseek"), "deepseek-chat"), std::nullopt);
}

}  // namespace
}  // namespace keywarden
