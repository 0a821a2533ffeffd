// `export --via gateway` per target, for a slot built in memory: the exact
// files each target plans with the gateway's URL and a token in place of
// the key (docs/gateway.md "Set-up per tool"), and that they are secret
// files (0600) wherever the token lands.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "export/fetch.h"
#include "export/jsonc.h"
#include "export/target.h"
#include "support/temp_dir.h"

namespace keywarden::cli::exporting {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kToken = "kwt_AAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKK";
constexpr std::string_view kGateway = "http://127.0.0.1:8370";

// A fresh $HOME for one test, with no tool variable set.
class GatewayPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"HOME", "XDG_CONFIG_HOME", "CLINE_DIR", "CLINE_DATA_DIR",
                             "CLINE_PROVIDER_SETTINGS_PATH", "CONTINUE_GLOBAL_DIR", "CODEX_HOME",
                             "CLAUDE_CONFIG_DIR", "GEMINI_CLI_HOME", "GOOGLE_API_KEY"}) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
      ::unsetenv(name);
    }
    ::setenv("HOME", dir_.path().c_str(), 1);
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      value ? ::setenv(name.c_str(), value->c_str(), 1) : ::unsetenv(name.c_str());
    }
  }

  // What FetchGatewaySlot makes of a slot: its facts, the gateway's URL
  // for its endpoint, and (here) a token as its secret.
  static Slot GatewaySlot(const std::string& provider, const std::string& endpoint,
                          const std::string& env_var, const std::string& model) {
    Slot slot;
    slot.ref = "dev/" + provider;
    slot.env = "dev";
    slot.name = provider;
    slot.provider = provider;
    slot.endpoint = endpoint;
    slot.env_var = env_var;
    slot.models = {model};
    slot.base_url = GatewayEndpointUrl(kGateway, provider, endpoint, slot.name);
    slot.secret = SecretBuffer::Copy(kToken);
    return slot;
  }

  Request Via(const Slot& slot) const {
    return Request{.slot = &slot,
                   .model = slot.models.front(),
                   .get_command = {"/usr/bin/keywarden", "get", slot.ref},
                   .backup_dir = dir_.path() / "backups",
                   .via_gateway = true};
  }

  static void ExpectNoHelperCommand(const Plan& plan) {
    for (const FileChange& change : plan.files) {
      EXPECT_EQ(change.after.find("/usr/bin/keywarden"), std::string::npos)
          << change.path << " runs keywarden get, which would hand the tool the key:\n"
          << change.after;
    }
  }

  keywarden::testing::TempDir dir_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(GatewayUrlTest, NamesTheProviderAndEndpointOrTheSlotForACustomUrl) {
  EXPECT_EQ(GatewayEndpointUrl("http://127.0.0.1:8370", "openrouter", "default", "or"),
            "http://127.0.0.1:8370/p/openrouter/default");
  EXPECT_EQ(GatewayEndpointUrl("http://127.0.0.1:8370/", "mistral", "codestral", "c"),
            "http://127.0.0.1:8370/p/mistral/codestral");
  EXPECT_EQ(GatewayEndpointUrl("http://[::1]:9000", "openai-compatible",
                               "https://llm.example.com/v1", "local-qwen"),
            "http://[::1]:9000/p/openai-compatible/local-qwen");
}

TEST_F(GatewayPlanTest, ClineGetsTheGatewayUrlAndTheTokenInItsSecretFile) {
  Slot slot = GatewaySlot("openrouter", "default", "OPENROUTER_API_KEY", "deepseek/deepseek-chat");
  Result<Plan> plan = PlanCline(Via(slot));
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->files.size(), 1u);
  EXPECT_TRUE(plan->files[0].secret);
  OrderedJson file = OrderedJson::parse(plan->files[0].after);
  OrderedJson& entry = file["providers"]["openrouter"];
  entry.erase("updatedAt");  // the time of the export
  EXPECT_EQ(file.dump(), OrderedJson::parse(R"({
    "version": 1, "lastUsedProvider": "openrouter", "modes": {},
    "providers": {"openrouter": {
      "settings": {"provider": "openrouter", "apiKey": "kwt_AAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKK",
                   "model": "deepseek/deepseek-chat",
                   "baseUrl": "http://127.0.0.1:8370/p/openrouter/default"},
      "tokenSource": "manual"}}})")
                             .dump());
}

TEST_F(GatewayPlanTest, ContinueNamesTheGatewayAsApiBaseAndKeepsTheTokenInItsEnvFile) {
  Slot slot = GatewaySlot("mistral", "codestral", "CODESTRAL_API_KEY", "codestral-2508");
  Result<Plan> plan = PlanContinue(Via(slot));
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->files.size(), 2u);
  EXPECT_EQ(plan->files[0].path, dir_.path() / ".continue/.env");
  EXPECT_TRUE(plan->files[0].secret);
  EXPECT_EQ(plan->files[0].after, "KEYWARDEN_DEV_MISTRAL=" + std::string(kToken) + "\n");
  EXPECT_FALSE(plan->files[1].secret);
  EXPECT_EQ(plan->files[1].after,
            "name: Local Config\nversion: 1.0.0\nschema: v1\nmodels:\n"
            "  - name: keywarden-dev-mistral\n    provider: mistral\n    model: codestral-2508\n"
            "    apiKey: ${{ secrets.KEYWARDEN_DEV_MISTRAL }}\n"
            "    apiBase: http://127.0.0.1:8370/p/mistral/codestral\n"
            "    roles: [chat, edit, apply, autocomplete]\n");
}

TEST_F(GatewayPlanTest, RooPutsTheGatewayUrlInTheProfilesBaseUrlField) {
  Slot slot = GatewaySlot("anthropic", "default", "ANTHROPIC_API_KEY", "claude-sonnet-4-20250514");
  Result<Plan> plan = PlanRoo(Via(slot));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_TRUE(plan->files[0].secret);
  OrderedJson profile = OrderedJson::parse(
      plan->files[0].after)["providerProfiles"]["apiConfigs"]["keywarden-dev-anthropic"];
  EXPECT_EQ(
      profile.dump(),
      R"({"apiProvider":"anthropic","apiKey":"kwt_AAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKK",)"
      R"("apiModelId":"claude-sonnet-4-20250514",)"
      R"("anthropicBaseUrl":"http://127.0.0.1:8370/p/anthropic/default"})");
}

TEST_F(GatewayPlanTest, ClaudeCodeSendsTheTokenToTheGatewayWithNoHelper) {
  Slot slot = GatewaySlot("anthropic", "default", "ANTHROPIC_API_KEY", "claude-sonnet-4-20250514");
  const fs::path file = dir_.path() / ".claude/settings.json";
  fs::create_directories(file.parent_path());
  std::ofstream(file) << R"({"apiKeyHelper": "/usr/bin/keywarden get dev/anthropic",)"
                      << R"( "permissions": {"allow": []}})";
  Request request = Via(slot);
  Result<Plan> plan = PlanClaudeCode(request);
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->files.size(), 1u);
  EXPECT_TRUE(plan->files[0].secret) << "the file holds the token: 0600";
  EXPECT_EQ(plan->files[0].after,
            R"({ "permissions": {"allow": []}, "model": "claude-sonnet-4-20250514", )"
            R"("env": {"ANTHROPIC_BASE_URL":"http://127.0.0.1:8370/p/anthropic/default", )"
            R"("ANTHROPIC_AUTH_TOKEN": "kwt_AAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKK"}})");
  ExpectNoHelperCommand(*plan);
}

TEST_F(GatewayPlanTest, CodexCarriesTheTokenAsABearerTokenWithNoAuthCommand) {
  Slot slot = GatewaySlot("openai", "default", "OPENAI_API_KEY", "gpt-5");
  Result<Plan> plan = PlanCodex(Via(slot));
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->files.size(), 1u);
  EXPECT_TRUE(plan->files[0].secret);
  EXPECT_EQ(plan->files[0].after,
            "model = \"gpt-5\"\nmodel_provider = \"keywarden-dev-openai\"\n\n"
            "[model_providers.keywarden-dev-openai]\n"
            "base_url = \"http://127.0.0.1:8370/p/openai/default\"\n"
            "experimental_bearer_token = \"kwt_AAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKK\"\n"
            "name = \"keywarden dev/openai\"\nwire_api = \"responses\"\n");
  ExpectNoHelperCommand(*plan);
}

TEST_F(GatewayPlanTest, GeminiCliGetsTheGatewayAsItsBaseUrl) {
  Slot slot = GatewaySlot("gemini", "default", "GEMINI_API_KEY", "gemini-2.5-flash");
  Result<Plan> plan = PlanGeminiCli(Via(slot));
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->files.size(), 2u);
  EXPECT_TRUE(plan->files[0].secret);
  EXPECT_EQ(plan->files[0].after, "GEMINI_API_KEY=" + std::string(kToken) +
                                      "\nGOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8370/p/gemini/"
                                      "default\n");
}

TEST_F(GatewayPlanTest, DotenvAndShellSetTheBaseUrlVariableBesideTheToken) {
  Slot slot = GatewaySlot("deepseek", "default", "DEEPSEEK_API_KEY", "deepseek-chat");
  Request request = Via(slot);
  request.path = dir_.path() / "project/.env";
  fs::create_directories(request.path.parent_path());
  std::ofstream(request.path) << "# mine\nDEBUG=1\n";
  Result<Plan> dotenv = PlanDotenv(request);
  ASSERT_TRUE(dotenv) << dotenv.error().message;
  EXPECT_TRUE(dotenv->files[0].secret);
  EXPECT_EQ(dotenv->files[0].after, "# mine\nDEBUG=1\nDEEPSEEK_API_KEY=" + std::string(kToken) +
                                        "\nDEEPSEEK_BASE_URL=http://127.0.0.1:8370/p/deepseek/"
                                        "default\n");
  Result<Plan> shell = PlanShell(request);
  ASSERT_TRUE(shell);
  EXPECT_EQ(shell->stdout_text,
            "export DEEPSEEK_BASE_URL=http://127.0.0.1:8370/p/deepseek/default\n"
            "export DEEPSEEK_API_KEY=" +
                std::string(kToken) + "\n");

  Slot openai = GatewaySlot("openai", "default", "OPENAI_API_KEY", "gpt-5");
  Slot gemini = GatewaySlot("gemini", "default", "GEMINI_API_KEY", "gemini-2.5-flash");
  EXPECT_EQ(PlanShell(Via(openai))->stdout_text.substr(0, 25), "export OPENAI_BASE_URL=ht");
  EXPECT_EQ(PlanShell(Via(gemini))->stdout_text.substr(0, 30), "export GOOGLE_GEMINI_BASE_URL=");
}

TEST_F(GatewayPlanTest, TheSamePlanTwiceGivesTheSameBytes) {
  Slot slot = GatewaySlot("gemini", "default", "GEMINI_API_KEY", "gemini-2.5-flash");
  Result<Plan> first = PlanGeminiCli(Via(slot));
  ASSERT_TRUE(first);
  Result<Plan> second = PlanGeminiCli(Via(slot));
  ASSERT_TRUE(second);
  for (size_t i = 0; i < first->files.size(); ++i) {
    EXPECT_EQ(first->files[i].after, second->files[i].after);
  }
}

}  // namespace
}  // namespace keywarden::cli::exporting
