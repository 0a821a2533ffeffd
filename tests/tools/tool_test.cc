// Proof with the real tools (docs/export.md "Proof with the real tools"):
// configs exported through the real daemon and CLI are read by pinned npm
// releases of Cline, Continue, Claude Code and Roo Code's schemas, running
// offline against the project's fake provider, which logs the last four
// characters of every key it receives. install_tools.sh puts the tools in
// the build tree once; without node and npm these checks are skipped.
#include <unistd.h>

#include <fstream>

#include "integration/export_fixture.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

std::string FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t pos = 0; pos <= dirs.size();) {
    size_t colon = std::min(dirs.find(':', pos), dirs.size());
    fs::path candidate = fs::path(dirs.substr(pos, colon - pos)) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    pos = colon + 1;
  }
  return "";
}

std::string Last4(const std::string& key) { return "key:" + key.substr(key.size() - 4); }

class ToolTest : public ExportFixture {
 protected:
  static void SetUpTestSuite() {
    install_ = RunProgram("/bin/bash", {KW_TOOLS_DIR "/install_tools.sh", KW_NPM_TOOLS});
  }

  void SetUp() override {
    ExportFixture::SetUp();
    if (install_.exit_code == 77) GTEST_SKIP() << "node or npm is not installed: " << install_.err;
    ASSERT_EQ(install_.exit_code, 0) << "installing the pinned tools failed:\n" << install_.err;
    node_ = FindOnPath("node");
    ASSERT_FALSE(node_.empty());
  }

  static fs::path Module(const std::string& relative) {
    return fs::path(KW_NPM_TOOLS) / "node_modules" / relative;
  }

  // Runs a tool with a time bound; its config comes from $HOME.
  CliResult RunTool(std::vector<std::string> argv, std::vector<std::string> env = {}) {
    argv.insert(argv.begin(), {"--kill-after=5", "90"});
    return RunProgram("/usr/bin/timeout", argv, {.extra_env = std::move(env)});
  }

  size_t LogSize() const { return fake_->Log()["requests"].size(); }

  // Checks that the requests the fake saw after `since` include one to
  // `host` and `path` carrying `key`, and that none carried anything else.
  void ExpectKeyArrived(size_t since, const std::string& host, const std::string& path,
                        const std::string& key) {
    Json requests = fake_->Log()["requests"];
    int matching = 0;
    for (size_t i = since; i < requests.size(); ++i) {
      const Json& r = requests[i];
      EXPECT_EQ(r["auth"], Last4(key)) << r.dump();
      if (r["host"] == host && r["path"].get<std::string>().find(path) != std::string::npos)
        ++matching;
    }
    EXPECT_GE(matching, 1) << "no request to " << host << " " << path << " in " << requests.dump();
  }

  std::string node_;
  static inline CliResult install_;
};

TEST_F(ToolTest, ContinueValidatorAcceptsTheExportAndCnSendsTheKey) {
  std::string key = FakeKey("openrouter");
  Start({{{"key", key}, {"provider", "openrouter"}}});
  AddVerified("dev/openrouter", "openrouter", "deepseek/deepseek-chat", key);
  ASSERT_EQ(Export("dev/openrouter", "continue").exit_code, 0);
  const fs::path config = home() / ".continue/config.yaml";

  CliResult valid = RunTool({node_, Module(".bin/config-yaml"), config});
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
  EXPECT_NE(valid.out.find("valid"), std::string::npos) << valid.out;

  size_t since = LogSize();
  CliResult cn = RunTool({node_, Module("@continuedev/cli/dist/cn.js"), "-p", "Say hi"});
  EXPECT_NE(cn.exit_code, 124) << "timed out: " << cn.err;
  ExpectKeyArrived(since, "openrouter", "/chat/completions", key);

  // The validator can fail: a model without a provider is rejected.
  std::ofstream(dir_.path() / "broken.yaml")
      << "name: x\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: m\n    model: x\n";
  EXPECT_NE(RunTool({node_, Module(".bin/config-yaml"), dir_.path() / "broken.yaml"}).exit_code, 0);
}

TEST_F(ToolTest, ClineSendsTheExportedOpenRouterAndCodestralKeys) {
  StartWithSlots();
  ASSERT_EQ(Export("dev/openrouter", "cline").exit_code, 0);
  ASSERT_EQ(Export("dev/codestral", "cline").exit_code, 0);
  // One-shot runs without --yolo: yolo mode loops against a fake model.
  for (const auto& [provider, host, key] : {std::tuple{"openrouter", "openrouter", openrouter_},
                                            {"mistral", "codestral", codestral_}}) {
    size_t since = LogSize();
    CliResult cline = RunTool({Module(".bin/cline"), "--data-dir", home() / ".cline/data", "--json",
                               "-t", "30", "-P", provider, "Say hi"},
                              {"CLINE_LOG_ENABLED=0"});
    EXPECT_NE(cline.exit_code, 124) << "timed out: " << cline.err;
    ExpectKeyArrived(since, host, "/chat/completions", key);
  }
}

// docs/copies.md: after `rotate --wait` the copies hold the new key, and
// the tools send it with no manual step.
TEST_F(ToolTest, ClineAndCnSendTheNewKeyAfterRotateWait) {
  const std::string old_key = FakeKey("openrouter"), new_key = FakeKey("openrouter");
  Start({{{"key", old_key}, {"provider", "openrouter"}},
         {{"key", new_key}, {"provider", "openrouter"}}});
  AddVerified("dev/openrouter", "openrouter", "deepseek/deepseek-chat", old_key);
  ASSERT_EQ(Export("dev/openrouter", "cline").exit_code, 0);
  ASSERT_EQ(Export("dev/openrouter", "continue").exit_code, 0);
  CliResult rotated = daemon_.Cli({"rotate", "dev/openrouter", "--wait", "--timeout", "40s"},
                                  {.stdin_data = new_key});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.out << rotated.err;

  size_t since = LogSize();
  CliResult cline = RunTool({Module(".bin/cline"), "--data-dir", home() / ".cline/data", "--json",
                             "-t", "30", "-P", "openrouter", "Say hi"},
                            {"CLINE_LOG_ENABLED=0"});
  EXPECT_NE(cline.exit_code, 124) << "timed out: " << cline.err;
  ExpectKeyArrived(since, "openrouter", "/chat/completions", new_key);

  since = LogSize();
  CliResult cn = RunTool({node_, Module("@continuedev/cli/dist/cn.js"), "-p", "Say hi"});
  EXPECT_NE(cn.exit_code, 124) << "timed out: " << cn.err;
  ExpectKeyArrived(since, "openrouter", "/chat/completions", new_key);
}

// docs/gateway.md: configured by `export --via gateway`, Cline and cn hold
// only a token; the gateway sends the slot's key, and after `rotate --wait`
// the new one, with no new export.
TEST_F(ToolTest, ClineAndCnThroughTheGatewaySendTheKeyAndTheRotatedKey) {
  const std::string old_key = FakeKey("openrouter"), new_key = FakeKey("openrouter");
  Start({{{"key", old_key}, {"provider", "openrouter"}},
         {{"key", new_key}, {"provider", "openrouter"}}},
        Json{{"gateway", {{"listen", "127.0.0.1:0"}}}});
  AddVerified("dev/openrouter", "openrouter", "deepseek/deepseek-chat", old_key);
  for (const char* target : {"cline", "continue"}) {
    CliResult exported =
        daemon_.Cli({"export", "dev/openrouter", "--to", target, "--via", "gateway"});
    ASSERT_EQ(exported.exit_code, 0) << exported.out << exported.err;
  }
  // No provider key on disk: the tools' files hold the gateway URL and a token.
  for (const fs::path& file : {home() / ".cline/data/settings/providers.json",
                               home() / ".continue/config.yaml", home() / ".continue/.env"}) {
    std::string text = ReadFile(file);
    EXPECT_EQ(text.find(old_key), std::string::npos) << file;
  }
  EXPECT_NE(ReadFile(home() / ".continue/.env").find("kwt_"), std::string::npos);

  auto run_both = [&](const std::string& key) {
    size_t since = LogSize();
    CliResult cline = RunTool({Module(".bin/cline"), "--data-dir", home() / ".cline/data", "--json",
                               "-t", "30", "-P", "openrouter", "Say hi"},
                              {"CLINE_LOG_ENABLED=0"});
    EXPECT_NE(cline.exit_code, 124) << "timed out: " << cline.err;
    ExpectKeyArrived(since, "openrouter", "/chat/completions", key);
    since = LogSize();
    CliResult cn = RunTool({node_, Module("@continuedev/cli/dist/cn.js"), "-p", "Say hi"});
    EXPECT_NE(cn.exit_code, 124) << "timed out: " << cn.err;
    ExpectKeyArrived(since, "openrouter", "/chat/completions", key);
  };
  run_both(old_key);
  CliResult rotated = daemon_.Cli({"rotate", "dev/openrouter", "--wait", "--timeout", "40s"},
                                  {.stdin_data = new_key});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.out << rotated.err;
  run_both(new_key);
}

TEST_F(ToolTest, RooSchemasAcceptTheImportFileWithNoFieldDropped) {
  StartWithSlots();
  for (const char* ref : {"dev/openrouter", "dev/codestral", "dev/gemini", "dev/anthropic"}) {
    ASSERT_EQ(Export(ref, "roo").exit_code, 0) << ref;
  }
  const fs::path import = home() / ".config/keywarden/roo-code-settings.json";
  const std::string validator = KW_TOOLS_DIR "/validate_roo_import.cjs";
  CliResult valid = RunTool({node_, validator, KW_NPM_TOOLS, import});
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  EXPECT_NE(valid.out.find("4 profile(s) valid"), std::string::npos) << valid.out;

  // The check can fail: a misspelt field that zod would silently drop.
  std::string text = ReadFile(import);
  text.replace(text.find("openRouterApiKey"), 16, "openrouterApiKey");
  std::ofstream(dir_.path() / "typo.json") << text;
  CliResult typo = RunTool({node_, validator, KW_NPM_TOOLS, dir_.path() / "typo.json"});
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.err.find("openrouterApiKey is dropped"), std::string::npos) << typo.err;
}

TEST_F(ToolTest, ClaudeCodeSendsTheHelpersKeyBeforeAndAfterARotation) {
  fs::path claude;
  for (const auto& entry : fs::directory_iterator(Module("@anthropic-ai"))) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("claude-code-linux-") && !name.ends_with("-musl"))
      claude = entry.path() / "claude";
  }
  ASSERT_TRUE(fs::exists(claude)) << "no Claude Code binary for this platform";
  std::string key = FakeKey("anthropic");
  Start({{{"key", key}, {"provider", "anthropic"}}});
  AddVerified("dev/anthropic", "anthropic", "claude-sonnet-4-20250514", key);
  ASSERT_EQ(Export("dev/anthropic", "claude-code").exit_code, 0);
  const std::vector<std::string> env = {"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1"};

  size_t since = LogSize();
  CliResult run = RunTool({claude, "-p", "Say hi"}, env);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  ExpectKeyArrived(since, "anthropic", "/v1/messages", key);

  std::string rotated = FakeKey("anthropic");
  fake_->AddKeys({{{"key", rotated}, {"provider", "anthropic"}}});
  CliResult rotate = daemon_.Cli({"rotate", "dev/anthropic", "--wait", "--timeout", "40s"},
                                 {.stdin_data = rotated});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  since = LogSize();
  run = RunTool({claude, "-p", "Say hi"}, env);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  ExpectKeyArrived(since, "anthropic", "/v1/messages", rotated);
}

}  // namespace
}  // namespace keywarden::testing
