// Status names, the slot model and the provider catalogue.
#include <gtest/gtest.h>

#include <string>

#include "keywarden/providers.h"
#include "keywarden/slot.h"
#include "keywarden/status.h"

namespace keywarden {
namespace {

TEST(StatusTest, ErrorCodeNamesRoundTrip) {
  for (ErrorCode code :
       {ErrorCode::kInvalidArgument, ErrorCode::kNotFound, ErrorCode::kAlreadyExists,
        ErrorCode::kNotUsable, ErrorCode::kConflict, ErrorCode::kPermissionDenied,
        ErrorCode::kSealed, ErrorCode::kIntegrity, ErrorCode::kIo, ErrorCode::kProtocol,
        ErrorCode::kUnavailable, ErrorCode::kInternal}) {
    EXPECT_EQ(ErrorCodeFromName(ErrorCodeName(code)), code) << ErrorCodeName(code);
  }
  EXPECT_EQ(ErrorCodeName(ErrorCode::kNotUsable), "not_usable");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kPermissionDenied), "permission_denied");
  EXPECT_EQ(ErrorCodeFromName("no_such_code"), std::nullopt);
}

TEST(SlotRefTest, ParsesEnvAndName) {
  auto ref = SlotRef::Parse("prod/codestral");
  ASSERT_TRUE(ref) << ref.error().message;
  EXPECT_EQ(ref->env, "prod");
  EXPECT_EQ(ref->name, "codestral");
  EXPECT_EQ(ref->str(), "prod/codestral");
  EXPECT_TRUE(SlotRef::Parse("0/a_b-c9"));
}

TEST(SlotRefTest, BareNameUsesDefaultEnv) {
  auto ref = SlotRef::Parse("openrouter", "dev");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->str(), "dev/openrouter");
  auto missing = SlotRef::Parse("openrouter");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(missing.error().message.find("ENV/NAME"), std::string::npos);
}

TEST(SlotRefTest, BadPartIsNamedWithTheRule) {
  struct Case {
    std::string_view text;
    std::string_view part;
    std::string_view detail;
  };
  for (const Case& c :
       {Case{"Dev/x", "environment", "'D' at character 1"},
        Case{"/x", "environment", "it is empty"}, Case{"dev/", "name", "it is empty"},
        Case{"dev/a/b", "name", "'/' at character 2"}, Case{"dev/-x", "name", "'-' at character 1"},
        Case{"dev/a.b", "name", "'.' at character 2"},
        Case{"dev/a b", "name", "a special character at character 2"}}) {
    auto ref = SlotRef::Parse(c.text);
    ASSERT_FALSE(ref) << c.text;
    const std::string& message = ref.error().message;
    EXPECT_NE(message.find("invalid slot " + std::string(c.part)), std::string::npos) << message;
    EXPECT_NE(message.find(c.detail), std::string::npos) << message;
    EXPECT_NE(message.find("up to 62 lower-case letters, digits, '_' or '-'"), std::string::npos);
  }
}

TEST(SlotRefTest, LongPartIsRejectedWithoutEchoingIt) {
  std::string name(64, 'a');
  EXPECT_TRUE(IsValidRefPart(std::string(63, 'a')));
  EXPECT_FALSE(IsValidRefPart(name));
  auto ref = SlotRef::Parse("dev/" + name);
  ASSERT_FALSE(ref);
  EXPECT_NE(ref.error().message.find("64 characters long, at most 63"), std::string::npos);
  EXPECT_EQ(ref.error().message.find(name), std::string::npos);
}

TEST(SlotModelTest, StateAndOutcomeNamesRoundTrip) {
  for (auto state : {VersionState::kPending, VersionState::kVerified, VersionState::kFailed,
                     VersionState::kRetired, VersionState::kRevoked}) {
    EXPECT_EQ(VersionStateFromName(VersionStateName(state)), state);
  }
  for (auto outcome : {Outcome::kOk, Outcome::kDenied, Outcome::kNotFound, Outcome::kAuthFailed,
                       Outcome::kNoCredit, Outcome::kRateLimited, Outcome::kUnavailable}) {
    EXPECT_EQ(OutcomeFromName(OutcomeName(outcome)), outcome);
  }
  EXPECT_EQ(OutcomeName(Outcome::kAuthFailed), "auth_failed");
  EXPECT_EQ(VersionStateFromName("active"), std::nullopt);
  EXPECT_EQ(OutcomeFromName("OK"), std::nullopt);
}

Version MakeVersion(int number, VersionState state, std::vector<Outcome> outcomes = {}) {
  Version v;
  v.number = number;
  v.state = state;
  for (Outcome o : outcomes)
    v.checks.push_back(Check{"model-" + std::to_string(v.checks.size()), o});
  return v;
}

TEST(SlotModelTest, SlotWithoutVersionsHasNoCurrentVersion) {
  Slot slot;
  EXPECT_FALSE(slot.Usable());
  EXPECT_EQ(slot.UnusableReason(), "no current version");
  EXPECT_EQ(slot.FindVersion(1), nullptr);
}

TEST(SlotModelTest, VerifiedCurrentIsUsableDespiteInconclusiveChecks) {
  Slot slot;
  slot.versions.push_back(MakeVersion(
      1, VersionState::kVerified, {Outcome::kOk, Outcome::kRateLimited, Outcome::kUnavailable}));
  slot.current_version = 1;
  EXPECT_TRUE(slot.Usable());
  EXPECT_EQ(slot.UnusableReason(), "");
  ASSERT_NE(slot.FindVersion(1), nullptr);
  EXPECT_EQ(slot.FindVersion(1)->number, 1);
}

TEST(SlotModelTest, DefinitiveFailureInLatestCheckMakesVerifiedUnusable) {
  for (Outcome failure :
       {Outcome::kDenied, Outcome::kNotFound, Outcome::kAuthFailed, Outcome::kNoCredit}) {
    Slot slot;
    slot.versions.push_back(MakeVersion(2, VersionState::kVerified, {Outcome::kOk, failure}));
    slot.versions.back().checks.back().detail = "User not found.";
    slot.current_version = 2;
    EXPECT_FALSE(slot.Usable()) << OutcomeName(failure);
    EXPECT_EQ(slot.UnusableReason(), "version 2 failed its latest check: model-1: " +
                                         std::string(OutcomeName(failure)) + " (User not found.)");
  }
}

TEST(SlotModelTest, PendingFirstVersionExplainsItself) {
  Slot slot;
  slot.versions.push_back(MakeVersion(1, VersionState::kPending));
  slot.pending_version = 1;
  EXPECT_FALSE(slot.Usable());
  EXPECT_EQ(slot.UnusableReason(), "version 1 is pending: validation has not finished");
}

TEST(SlotModelTest, FailedVersionGivesFirstFailureDiagnosis) {
  Slot slot;
  Version v = MakeVersion(1, VersionState::kFailed, {Outcome::kDenied});
  v.diagnoses = {{"whitespace_trimmed", "removed 1 trailing whitespace character"},
                 {"model_denied", "the key may not use google/gemini-2.5-pro"}};
  slot.versions.push_back(v);
  EXPECT_EQ(slot.UnusableReason(), "version 1 failed: the key may not use google/gemini-2.5-pro");

  slot.versions[0].diagnoses.clear();
  EXPECT_EQ(slot.UnusableReason(), "version 1 failed: model-0: denied");
}

TEST(SlotModelTest, RevokedCurrentIsUnusable) {
  Slot slot;
  slot.versions.push_back(MakeVersion(3, VersionState::kRevoked, {Outcome::kOk}));
  slot.current_version = 3;
  EXPECT_FALSE(slot.Usable());
  EXPECT_EQ(slot.UnusableReason(), "version 3 was revoked");
}

TEST(SlotModelTest, CurrentPointingAtMissingVersionIsUnusable) {
  Slot slot;
  slot.current_version = 4;
  EXPECT_FALSE(slot.Usable());
  EXPECT_EQ(slot.UnusableReason(), "current version 4 is missing");
}

TEST(CatalogueTest, BuiltinHasEveryProviderWithItsFacts) {
  const Catalogue& catalogue = Catalogue::Builtin();
  struct Expect {
    std::string_view id, env_var, default_endpoint, auth_header, auth_path, probe_kind;
    int64_t activation_window;
  };
  for (const Expect& e : {
           Expect{"openrouter", "OPENROUTER_API_KEY", "default", "authorization-bearer", "/key",
                  "openai_chat", 120},
           Expect{"mistral", "MISTRAL_API_KEY", "general", "authorization-bearer", "/models",
                  "mistral_chat", 600},
           Expect{"gemini", "GEMINI_API_KEY", "default", "x-goog-api-key", "/models",
                  "gemini_generate", 120},
           Expect{"openai", "OPENAI_API_KEY", "default", "authorization-bearer", "/models",
                  "openai_chat_reasoning", 120},
           Expect{"anthropic", "ANTHROPIC_API_KEY", "default", "x-api-key", "/models",
                  "anthropic_messages", 120},
           Expect{"deepseek", "DEEPSEEK_API_KEY", "default", "authorization-bearer",
                  "/user/balance", "openai_chat", 120},
           Expect{"openai-compatible", "OPENAI_API_KEY", "", "authorization-bearer", "/models",
                  "openai_chat", 120},
       }) {
    const ProviderInfo* p = catalogue.Find(e.id);
    ASSERT_NE(p, nullptr) << e.id;
    EXPECT_FALSE(p->display_name.empty());
    EXPECT_EQ(p->env_var, e.env_var);
    EXPECT_EQ(p->default_endpoint, e.default_endpoint);
    EXPECT_EQ(p->activation_window, e.activation_window);
    EXPECT_EQ(p->spec["auth"]["header"], e.auth_header) << e.id;
    EXPECT_EQ(p->spec["auth_probe"]["method"], "GET") << e.id;
    EXPECT_EQ(p->spec["auth_probe"]["path"], e.auth_path) << e.id;
    EXPECT_EQ(p->spec["model_probe"]["kind"], e.probe_kind) << e.id;
    EXPECT_TRUE(p->spec["list_probe"].is_object()) << e.id;
    EXPECT_FALSE(p->key_example.empty()) << e.id;
    if (e.id != "openai-compatible") {
      EXPECT_TRUE(p->key_pattern.starts_with('^') && p->key_pattern.ends_with('$')) << e.id;
    }
  }
  EXPECT_EQ(catalogue.All().size(), 7u);
  EXPECT_EQ(catalogue.Find("groq"), nullptr);
}

TEST(CatalogueTest, ProviderSpecificsAreData) {
  const Catalogue& catalogue = Catalogue::Builtin();
  const ProviderInfo& anthropic = *catalogue.Find("anthropic");
  EXPECT_EQ(anthropic.spec["auth"]["extra_headers"]["anthropic-version"], "2023-06-01");
  const ProviderInfo& openai = *catalogue.Find("openai");
  EXPECT_EQ(openai.spec["model_probe"]["reasoning_models"], "^(o1|o3|o4|gpt-5)");
  const ProviderInfo& mistral = *catalogue.Find("mistral");
  const auto& codestral = mistral.spec["per_endpoint"]["codestral"];
  EXPECT_EQ(codestral["env_var"], "CODESTRAL_API_KEY");
  EXPECT_EQ(codestral["model_probe"]["kind"], "mistral_fim");
  EXPECT_EQ(codestral["other_host"]["diagnosis"], "general_key_on_codestral_endpoint");
  EXPECT_EQ(mistral.spec["other_host"]["diagnosis"], "codestral_key_on_general_endpoint");
  EXPECT_EQ(mistral.spec["aliases"]["known"]["codestral-latest"], "codestral-2508");
  EXPECT_TRUE(catalogue.Find("openai-compatible")->custom_url);
  EXPECT_TRUE(catalogue.Find("openai-compatible")->endpoints.empty());
}

TEST(CatalogueTest, KeyPatternsMatchOnlyTheirOwnProvider) {
  const Catalogue& catalogue = Catalogue::Builtin();
  auto ids = [&](std::string_view key) {
    std::string out;
    for (const ProviderInfo* p : catalogue.MatchingPattern(key)) out += p->id + " ";
    return out;
  };
  EXPECT_EQ(ids("sk-or-v1-" + std::string(64, 'a')), "openrouter ");
  EXPECT_EQ(ids(std::string(32, 'A')), "mistral ");
  EXPECT_EQ(ids("sk-" + std::string(32, '7')), "deepseek ");
  EXPECT_EQ(ids("AIza" + std::string(35, '_')), "gemini ");
  EXPECT_EQ(ids("sk-ant-api03-" + std::string(93, 'x') + "AA"), "anthropic ");
  EXPECT_EQ(ids("sk-proj-" + std::string(74, 'x') + "T3BlbkFJ" + std::string(74, 'y')), "openai ");
  EXPECT_EQ(ids("sk-" + std::string(20, 'x') + "T3BlbkFJ" + std::string(20, 'y')), "openai ");
  EXPECT_EQ(ids("not a key"), "");
  EXPECT_EQ(ids("sk-or-v1-" + std::string(64, 'a') + "\n"), "");
}

nlohmann::json MinimalCatalogue() {
  return nlohmann::json::parse(R"({"version": 1, "providers": [{
    "id": "demo", "display_name": "Demo", "env_var": "DEMO_API_KEY",
    "key_pattern": "^dk-[a-z]{8}$", "key_example": "dk- and 8 letters",
    "endpoints": {"default": "https://api.demo.test/v1"}, "default_endpoint": "default",
    "activation_window": 60,
    "spec": {"auth": {"header": "authorization-bearer"},
             "auth_probe": {"method": "GET", "path": "/models"},
             "model_probe": {"kind": "openai_chat", "method": "POST", "path": "/chat/completions"},
             "list_probe": null, "status_rules": []}}]})");
}

TEST(CatalogueTest, ParseAcceptsMinimalEntry) {
  auto catalogue = Catalogue::Parse(MinimalCatalogue().dump());
  ASSERT_TRUE(catalogue) << catalogue.error().message;
  ASSERT_EQ(catalogue->All().size(), 1u);
  EXPECT_EQ(catalogue->All()[0].endpoints.at("default"), "https://api.demo.test/v1");
  EXPECT_EQ(catalogue->MatchingPattern("dk-abcdefgh").size(), 1u);
}

TEST(CatalogueTest, EachProviderButOpenAiCompatibleNamesWhereKeysAreDeleted) {
  for (const ProviderInfo& p : Catalogue::Builtin().All()) {
    if (p.custom_url) {
      EXPECT_EQ(p.console_url, "") << p.id;
    } else {
      EXPECT_TRUE(p.console_url.starts_with("https://")) << p.id << ": " << p.console_url;
    }
  }
  EXPECT_EQ(Catalogue::Builtin().Find("mistral")->console_url,
            "https://console.mistral.ai/api-keys");
}

TEST(CatalogueTest, ParseRejectsMalformedEntriesNamingTheField) {
  using Json = nlohmann::json;
  struct Case {
    std::string_view expected;
    void (*mutate)(Json& entry);
  };
  const Case cases[] = {
      {"providers[0].colour: unknown field", [](Json& e) { e["colour"] = "red"; }},
      {"providers[0].env_var: expected a string, got a number", [](Json& e) { e["env_var"] = 7; }},
      {"providers.demo.key_pattern: bad regex", [](Json& e) { e["key_pattern"] = "^(["; }},
      {"providers.demo.default_endpoint: not one of endpoints",
       [](Json& e) { e["default_endpoint"] = "eu"; }},
      {"providers.demo.endpoints.default: endpoint URL uses plain http://",
       [](Json& e) { e["endpoints"]["default"] = "http://api.demo.test/v1"; }},
      {"providers.demo.spec.auth.header: unknown value \"cookie\"",
       [](Json& e) { e["spec"]["auth"]["header"] = "cookie"; }},
      {"providers.demo.spec.model_probe.kind: unknown value",
       [](Json& e) { e["spec"]["model_probe"]["kind"] = "chat"; }},
      {"providers.demo.spec.auth_probe.path: must start with '/'",
       [](Json& e) { e["spec"]["auth_probe"]["path"] = "models"; }},
      {"providers.demo.spec.status_rules[0].outcome: unknown outcome",
       [](Json& e) {
         e["spec"]["status_rules"] = Json::parse(R"([{"status": 401, "outcome": "bad"}])");
       }},
      {"providers.demo.spec.per_endpoint.eu: not an endpoint of demo",
       [](Json& e) { e["spec"]["per_endpoint"] = Json::parse(R"({"eu": {}})"); }},
      {"providers.demo.spec.list_probe: missing", [](Json& e) { e["spec"].erase("list_probe"); }},
      {"providers.demo.activation_window: expected an integer from 1 to 86400",
       [](Json& e) { e["activation_window"] = 0; }},
      {"providers.demo.console_url: not an https:// URL",
       [](Json& e) { e["console_url"] = "http://console.demo.test/keys"; }},
  };
  for (const Case& c : cases) {
    Json doc = MinimalCatalogue();
    c.mutate(doc["providers"][0]);
    auto catalogue = Catalogue::Parse(doc.dump());
    ASSERT_FALSE(catalogue) << c.expected;
    EXPECT_NE(catalogue.error().message.find("providers.json: " + std::string(c.expected)),
              std::string::npos)
        << catalogue.error().message;
  }
}

TEST(CatalogueTest, ParseRejectsDuplicateIdsAndBadJson) {
  auto doc = MinimalCatalogue();
  doc["providers"].push_back(doc["providers"][0]);
  auto duplicate = Catalogue::Parse(doc.dump());
  ASSERT_FALSE(duplicate);
  EXPECT_NE(duplicate.error().message.find("providers.demo: duplicate id"), std::string::npos);
  auto broken = Catalogue::Parse("{\"version\": 1,\n \"providers\": [}");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("not valid JSON"), std::string::npos);
  EXPECT_NE(broken.error().message.find("line 2"), std::string::npos) << broken.error().message;
}

TEST(EndpointTest, BaseUrlResolvesDefaultsAndNamedEndpoints) {
  const Catalogue& catalogue = Catalogue::Builtin();
  Config config;
  auto base = [&](std::string_view id, std::string_view endpoint) {
    auto url = catalogue.BaseUrl(*catalogue.Find(id), endpoint, config);
    return url ? *url : "error: " + url.error().message;
  };
  EXPECT_EQ(base("openrouter", "default"), "https://openrouter.ai/api/v1");
  EXPECT_EQ(base("mistral", "default"), "https://api.mistral.ai/v1");
  EXPECT_EQ(base("mistral", "general"), "https://api.mistral.ai/v1");
  EXPECT_EQ(base("mistral", "codestral"), "https://codestral.mistral.ai/v1");
  EXPECT_EQ(base("gemini", ""), "https://generativelanguage.googleapis.com/v1beta");
  EXPECT_EQ(base("openai", "default"), "https://api.openai.com/v1");
  EXPECT_EQ(base("anthropic", "default"), "https://api.anthropic.com/v1");
  EXPECT_EQ(base("deepseek", "default"), "https://api.deepseek.com");
  EXPECT_EQ(base("mistral", "eu"), "error: mistral has no endpoint named \"eu\"");
  EXPECT_EQ(base("openai-compatible", "default"), "error: openai-compatible needs an endpoint URL");
  EXPECT_EQ(base("openai-compatible", "http://127.0.0.1:11434/v1/"), "http://127.0.0.1:11434/v1");
  EXPECT_EQ(base("openrouter", "https://proxy.example/api/v1"), "https://proxy.example/api/v1");
  EXPECT_EQ(base("openai-compatible", "http://192.168.1.5:8080/v1").substr(0, 45),
            "error: endpoint URL uses plain http:// to 192");
}

TEST(EndpointTest, ConfigOverridesReplaceTheBase) {
  const Catalogue& catalogue = Catalogue::Builtin();
  Config config;
  config.providers["mistral"].endpoints = {{"codestral", "http://localhost:9000/codestral/v1"},
                                           {"default", "http://[::1]:9000/v1"}};
  config.providers["openai-compatible"].endpoints = {{"local", "http://127.0.0.2:8080/v1"}};
  const ProviderInfo& mistral = *catalogue.Find("mistral");
  EXPECT_EQ(catalogue.BaseUrl(mistral, "codestral", config).value(),
            "http://localhost:9000/codestral/v1");
  // "default" in the overrides names the provider's default endpoint.
  EXPECT_EQ(catalogue.BaseUrl(mistral, "general", config).value(), "http://[::1]:9000/v1");
  EXPECT_EQ(catalogue.BaseUrl(mistral, "default", config).value(), "http://[::1]:9000/v1");
  const ProviderInfo& compat = *catalogue.Find("openai-compatible");
  EXPECT_EQ(catalogue.BaseUrl(compat, "local", config).value(), "http://127.0.0.2:8080/v1");
  auto missing = catalogue.BaseUrl(compat, "remote", config);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no endpoint named \"remote\""), std::string::npos);
  // Overrides built in code are checked too, not only those read from config.json.
  config.providers["openrouter"].endpoints = {{"default", "http://10.1.2.3/api/v1"}};
  auto remote = catalogue.BaseUrl(*catalogue.Find("openrouter"), "default", config);
  ASSERT_FALSE(remote);
  EXPECT_NE(remote.error().message.find("providers.openrouter.endpoints.default"),
            std::string::npos);
}

TEST(EndpointTest, PlainHttpOnlyToLoopback) {
  for (std::string_view ok :
       {"https://api.example.com/v1", "HTTPS://api.example.com", "http://127.0.0.1:8080/v1",
        "http://127.255.0.9", "http://localhost:1234", "http://LOCALHOST/v1",
        "http://[::1]:8080/v1", "https://[2001:db8::1]:443/x"}) {
    EXPECT_TRUE(CheckEndpointUrl(ok)) << ok;
  }
  struct Bad {
    std::string_view url, problem;
  };
  for (const Bad& b :
       {Bad{"http://10.0.0.5/v1", "plain http:// to 10.0.0.5"},
        Bad{"http://127.0.0.1.evil.test/v1", "plain http://"},
        Bad{"http://localhost.evil.test", "plain http://"}, Bad{"http://[::2]/v1", "plain http://"},
        Bad{"http://128.0.0.1", "plain http://"},
        Bad{"ftp://example.com", "must start with https://"},
        Bad{"api.openai.com/v1", "must start with https://"},
        Bad{"https://user:pw@example.com", "user credentials"},
        Bad{"https://example.com/v1?key=abc", "query or fragment"},
        Bad{"https://example.com/v 1", "space"}, Bad{"https:///v1", "no host"},
        Bad{"https://example.com:99999", "invalid port"},
        Bad{"https://example.com:", "empty port"}}) {
    auto status = CheckEndpointUrl(b.url);
    ASSERT_FALSE(status) << b.url;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(status.error().message.find(b.problem), std::string::npos) << status.error().message;
  }
}

}  // namespace
}  // namespace keywarden
