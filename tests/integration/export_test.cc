// `keywarden export` and `keywarden exec` through the real daemon, with keys
// verified against the project's fake provider: what each target writes,
// what it keeps, and the rules every target follows (DESIGN.md "Export").
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "integration/export_fixture.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

mode_t Mode(const fs::path& path) {
  struct stat st{};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

void Write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

class ExportTest : public ExportFixture {
 protected:
  fs::path ClineFile() const { return home() / ".cline/data/settings/providers.json"; }
  fs::path VsCodeSettings() const { return home() / ".config/Code/User/settings.json"; }
  Json ReadJson(const fs::path& file) const { return Json::parse(ReadFile(file), nullptr, false); }
};

TEST_F(ExportTest, ClineGetsTheVerifiedKeyModelAndEndpointInAPrivateFile) {
  StartWithSlots();
  CliResult r = Export("dev/openrouter", "cline");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  Json file = ReadJson(ClineFile());
  const Json& settings = file["providers"]["openrouter"]["settings"];
  EXPECT_EQ(settings["apiKey"], openrouter_);
  EXPECT_EQ(settings["model"], "deepseek/deepseek-chat") << "the slot's first model";
  EXPECT_EQ(settings["baseUrl"], fake_->BaseUrl("openrouter/api/v1"))
      << "the endpoint it was verified against";
  EXPECT_EQ(file["version"], 1);
  EXPECT_EQ(Mode(ClineFile()), 0600u);
  for (const fs::path& dir :
       {home() / ".cline", home() / ".cline/data", ClineFile().parent_path()}) {
    EXPECT_EQ(Mode(dir), 0700u) << dir;
  }

  ASSERT_EQ(Export("dev/openrouter", "cline", {"--model", "anthropic/claude-sonnet-4"}).exit_code,
            0);
  EXPECT_EQ(ReadJson(ClineFile())["providers"]["openrouter"]["settings"]["model"],
            "anthropic/claude-sonnet-4");
  const fs::path backup = daemon_.home() / "backups" / ClineFile().relative_path();
  EXPECT_EQ(ReadJson(backup), file) << "the previous file is kept, in the state directory";
  EXPECT_EQ(Mode(backup), 0600u);
  EXPECT_FALSE(fs::exists(ClineFile().string() + ".keywarden.bak"));
}

TEST_F(ExportTest, CodestralSlotPointsEveryToolAtTheCodestralHost) {
  StartWithSlots();
  const std::string codestral = fake_->BaseUrl("codestral/v1");
  for (const char* target : {"cline", "continue", "roo"}) {
    CliResult r = Export("dev/codestral", target);
    ASSERT_EQ(r.exit_code, 0) << target << ": " << r.err;
  }
  EXPECT_EQ(ReadJson(ClineFile())["providers"]["mistral"]["settings"]["baseUrl"], codestral);
  std::string yaml = ReadFile(home() / ".continue/config.yaml");
  EXPECT_NE(yaml.find("apiBase: " + codestral), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("roles: [chat, edit, apply, autocomplete]"), std::string::npos) << yaml;
  Json roo = ReadJson(home() / ".config/keywarden/roo-code-settings.json");
  const Json& profile = roo["providerProfiles"]["apiConfigs"]["keywarden-dev-codestral"];
  EXPECT_EQ(profile["mistralCodestralUrl"], fake_->BaseUrl("codestral")) << "Roo's SDK adds /v1";
  EXPECT_EQ(profile["mistralApiKey"], codestral_);
  EXPECT_EQ(profile["apiModelId"], "codestral-2508");
}

TEST_F(ExportTest, ClineKeepsOtherProvidersUnknownFieldsAndOAuth) {
  StartWithSlots();
  Write(
      ClineFile(),
      "{\"version\":1,\"lastUsedProvider\":\"deepseek\",\"modes\":{\"voiceInput\":{\"x\":1}},"
      "\"custom\":true,"
      "\"providers\":{\"deepseek\":{\"settings\":{\"provider\":\"deepseek\",\"apiKey\":\"sk-"
      "theirs\"},"
      "\"updatedAt\":\"2026-01-01T00:00:00.000Z\",\"tokenSource\":\"manual\"},"
      "\"openrouter\":{\"settings\":{\"provider\":\"openrouter\",\"auth\":{\"accessToken\":\"t\"},"
      "\"timeout\":30},\"updatedAt\":\"2026-01-01T00:00:00.000Z\",\"tokenSource\":\"oauth\"}}}");
  ASSERT_EQ(Export("dev/openrouter", "cline").exit_code, 0);
  Json file = ReadJson(ClineFile());
  EXPECT_EQ(file["lastUsedProvider"], "deepseek") << "the user's choice stays";
  EXPECT_EQ(file["custom"], true);
  EXPECT_EQ(file["modes"]["voiceInput"]["x"], 1);
  EXPECT_EQ(file["providers"]["deepseek"]["settings"]["apiKey"], "sk-theirs");
  const Json& ours = file["providers"]["openrouter"];
  EXPECT_EQ(ours["settings"]["auth"]["accessToken"], "t");
  EXPECT_EQ(ours["settings"]["timeout"], 30);
  EXPECT_EQ(ours["settings"]["apiKey"], openrouter_);
  EXPECT_EQ(ours["tokenSource"], "manual");
  EXPECT_NE(ours["updatedAt"], "2026-01-01T00:00:00.000Z");
}

TEST_F(ExportTest, CommentsAndOtherEntriesSurviveInEveryEditedFile) {
  StartWithSlots();
  Write(home() / ".continue/config.yaml",
        "name: Mine # keep\nversion: 1.0.0\nschema: v1\nmodels:\n  # local model\n  - name: llama\n"
        "    provider: ollama\n    model: llama3\n");
  Write(VsCodeSettings(), "{\n  // my font\n  \"editor.fontSize\": 14,\n}\n");
  Write(home() / ".codex/config.toml",
        "# codex settings\napproval_policy = \"never\" # ask less\n\n[model_providers.mine]\nname "
        "= \"Mine\"\n");
  Write(home() / ".claude/settings.json", "{\n  \"permissions\": {\"allow\": [\"Bash(ls)\"]}\n}\n");
  Write(home() / ".continue/.env", "# other secrets\nOTHER=1\n");
  for (auto [ref, target] : {std::pair{"dev/openrouter", "continue"},
                             {"dev/openrouter", "roo"},
                             {"dev/openrouter", "codex"},
                             {"dev/anthropic", "claude-code"}}) {
    CliResult r = Export(ref, target);
    ASSERT_EQ(r.exit_code, 0) << target << ": " << r.err;
  }
  std::string yaml = ReadFile(home() / ".continue/config.yaml");
  EXPECT_EQ(
      yaml.rfind("name: Mine # keep\nversion: 1.0.0\nschema: v1\nmodels:\n  # local model\n  - "
                 "name: llama\n"
                 "    provider: ollama\n    model: llama3\n  - name: keywarden-dev-openrouter\n",
                 0),
      0u)
      << yaml;
  EXPECT_NE(yaml.find("apiKey: ${{ secrets.KEYWARDEN_DEV_OPENROUTER }}"), std::string::npos);
  EXPECT_EQ(ReadFile(home() / ".continue/.env"),
            "# other secrets\nOTHER=1\nKEYWARDEN_DEV_OPENROUTER=" + openrouter_ + "\n");
  EXPECT_EQ(
      ReadFile(VsCodeSettings()),
      "{\n  // my font\n  \"editor.fontSize\": 14,\n  \"roo-cline.autoImportSettingsPath\": \"" +
          (home() / ".config/keywarden/roo-code-settings.json").string() + "\"\n}\n");
  std::string toml = ReadFile(home() / ".codex/config.toml");
  EXPECT_EQ(toml.rfind("# codex settings\napproval_policy = \"never\" # ask less\n", 0), 0u)
      << toml;
  EXPECT_NE(toml.find("[model_providers.mine]\nname = \"Mine\"\n"), std::string::npos) << toml;
  EXPECT_NE(toml.find("[model_providers.keywarden-dev-openrouter.auth]"), std::string::npos)
      << toml;
  Json claude = ReadJson(home() / ".claude/settings.json");
  EXPECT_EQ(claude["permissions"]["allow"][0], "Bash(ls)");
}

TEST_F(ExportTest, ExportingTwiceGivesIdenticalBytes) {
  StartWithSlots();
  const std::vector<std::pair<std::string, std::string>> exports = {
      {"dev/openrouter", "cline"}, {"dev/openrouter", "continue"},   {"dev/openrouter", "roo"},
      {"dev/openrouter", "codex"}, {"dev/anthropic", "claude-code"}, {"dev/gemini", "gemini-cli"},
      {"dev/openrouter", "dotenv"}};
  const std::vector<std::string> dotenv_path = {"--path", (home() / "project/.env").string()};
  auto snapshot = [&] {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(home())) {
      if (entry.is_regular_file()) files[entry.path().string()] = ReadFile(entry.path());
    }
    return files;
  };
  auto path_for = [&](const std::string& target) {
    return target == "dotenv" ? dotenv_path : std::vector<std::string>{};
  };
  for (const auto& [ref, target] : exports)
    ASSERT_EQ(Export(ref, target, path_for(target)).exit_code, 0) << target;
  auto first = snapshot();
  for (const auto& [ref, target] : exports) {
    CliResult r = Export(ref, target, path_for(target));
    ASSERT_EQ(r.exit_code, 0) << target;
    EXPECT_NE(r.err.find("is up to date"), std::string::npos) << target << ": " << r.err;
  }
  EXPECT_EQ(snapshot(), first);
  for (const auto& [file, bytes] : first) EXPECT_FALSE(file.ends_with(".keywarden.bak")) << file;
}

// Every target that edits a file refuses one that does not parse, names the
// file and the line, and leaves it exactly as it was.
TEST_F(ExportTest, UnparseableFileIsRefusedAndLeftAlone) {
  StartWithSlots();
  const std::vector<std::tuple<std::string, std::string, fs::path, std::string>> cases = {
      {"dev/openrouter", "cline", ClineFile(), "{\n  \"version\": 1,\n  \"providers\": {\n}"},
      {"dev/openrouter", "continue", home() / ".continue/config.yaml",
       "name: x\nmodels:\n  - [oops\n"},
      {"dev/openrouter", "continue", home() / ".continue/.env", "A=1\nnot an assignment\n"},
      {"dev/openrouter", "roo", VsCodeSettings(), "{\n  // fine\n  \"a\": 1\n  \"b\": 2\n}\n"},
      {"dev/openrouter", "codex", home() / ".codex/config.toml", "model = \"x\"\n[broken\n"},
      {"dev/anthropic", "claude-code", home() / ".claude/settings.json", "{\"env\": {,}}"},
      {"dev/gemini", "gemini-cli", home() / ".gemini/settings.json", "{\"model\": }"},
      {"dev/openrouter", "dotenv", home() / "project.env", "A=\"unterminated\n"},
  };
  for (const auto& [ref, target, file, text] : cases) {
    Write(file, text);
    std::vector<std::string> extra;
    if (target == "dotenv") extra = {"--path", file.string()};
    CliResult r = Export(ref, target, extra);
    EXPECT_EQ(r.exit_code, 1) << target << ": " << r.err;
    EXPECT_EQ(r.err.rfind("keywarden: error: cannot parse " + file.string() + ": line ", 0), 0u)
        << r.err;
    EXPECT_EQ(ReadFile(file), text) << target;
    EXPECT_FALSE(fs::exists(file.string() + ".keywarden.bak")) << target;
    fs::remove(file);
  }
}

TEST_F(ExportTest, SlotThatIsNotUsableExitsThreeWithTheReasonAndWritesNothing) {
  std::string key = FakeKey("openrouter");
  Start({{{"key", key},
          {"provider", "openrouter"},
          {"allowed_models", {"deepseek/deepseek-chat"}},
          {"denial", "401_no_auth"}}});
  CliResult add = daemon_.Cli({"add", "dev/openrouter", "--provider", "openrouter", "--models",
                               "google/gemini-2.5-pro-preview", "--wait", "--timeout", "40s"},
                              {.stdin_data = key});
  ASSERT_EQ(add.exit_code, 3) << add.err;
  for (const char* target : {"cline", "shell"}) {
    CliResult r = Export("dev/openrouter", target);
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("not usable"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("google/gemini-2.5-pro-preview"), std::string::npos)
        << "the diagnosis: " << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_TRUE(fs::is_empty(home()));
}

TEST_F(ExportTest, DryRunShowsTheChangeMaskedAndWritesNothing) {
  StartWithSlots();
  Write(ClineFile(), "{\n  \"version\": 1,\n  \"providers\": {}\n}\n");
  for (const char* target : {"cline", "continue", "roo", "shell"}) {
    CliResult r = Export("dev/openrouter", target, {"--dry-run"});
    ASSERT_EQ(r.exit_code, 0) << target << ": " << r.err;
    EXPECT_EQ(r.out.find(openrouter_), std::string::npos) << target << " printed the secret";
    EXPECT_NE(r.out.find("sk-or-v1-…" + openrouter_.substr(openrouter_.size() - 4)),
              std::string::npos)
        << target << ": " << r.out;
  }
  CliResult cline = Export("dev/openrouter", "cline", {"--dry-run"});
  EXPECT_NE(cline.out.find("--- " + ClineFile().string()), std::string::npos) << cline.out;
  EXPECT_NE(cline.out.find("+        \"model\": \"deepseek/deepseek-chat\","), std::string::npos)
      << cline.out;
  EXPECT_EQ(ReadFile(ClineFile()), "{\n  \"version\": 1,\n  \"providers\": {}\n}\n");
  EXPECT_FALSE(fs::exists(home() / ".continue"));
  EXPECT_FALSE(fs::exists(home() / ".config"));
}

// A preview masks every secret of the file, not only the one exported: the
// key it replaces and other providers' keys. The real export then keeps
// the previous file out of the project, 0600.
TEST_F(ExportTest, DryRunMasksTheFilesOtherSecretsAndNoBackupLandsInTheProject) {
  StartWithSlots();
  const std::string old_key = "sk-or-v1-" + std::string(60, '7') + "abcd";
  const std::string mistral = "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe";
  const std::string anthropic = "sk-ant-api03-" + std::string(40, 'q') + "wxyz";
  Write(ClineFile(),
        "{\n  \"version\": 1,\n  \"providers\": {\n    \"openrouter\": {\"settings\": "
        "{\"apiKey\": \"" +
            old_key +
            "\"}},\n    \"anthropic\": {\"settings\": "
            "{\"apiKey\": \"" +
            anthropic + "\"}}\n  }\n}\n");
  Write(home() / ".continue/.env",
        "MISTRAL_API_KEY=" + mistral + "\nOPENROUTER_API_KEY=" + old_key + "\n");
  const fs::path project = home() / "project";
  Write(project / ".env", "OPENROUTER_API_KEY=" + old_key + "\nMISTRAL_API_KEY=" + mistral + "\n");
  Write(project / ".gitignore", ".env\n");
  const std::vector<std::string> dotenv = {"--path", (project / ".env").string()};
  for (const char* target : {"cline", "continue", "dotenv"}) {
    std::vector<std::string> extra = {"--dry-run"};
    if (std::string(target) == "dotenv") extra.insert(extra.end(), dotenv.begin(), dotenv.end());
    CliResult r = Export("dev/openrouter", target, extra);
    ASSERT_EQ(r.exit_code, 0) << target << ": " << r.err;
    for (const std::string& secret : {openrouter_, old_key, mistral, anthropic})
      EXPECT_EQ(r.out.find(secret), std::string::npos) << target << " printed a secret:\n" << r.out;
    EXPECT_NE(r.out.find("-"), std::string::npos) << target << ": " << r.out;
  }
  CliResult preview = Export("dev/openrouter", "dotenv", {"--dry-run", dotenv[0], dotenv[1]});
  EXPECT_NE(preview.out.find("-OPENROUTER_API_KEY=sk-or-v1-…abcd"), std::string::npos)
      << preview.out;
  EXPECT_NE(preview.out.find(" MISTRAL_API_KEY=…"), std::string::npos) << preview.out;

  ASSERT_EQ(Export("dev/openrouter", "dotenv", dotenv).exit_code, 0);
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(project))
    names.insert(entry.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{".env", ".gitignore"})) << "no backup in the project";
  const fs::path backup = daemon_.home() / "backups" / (project / ".env").relative_path();
  EXPECT_EQ(ReadFile(backup),
            "OPENROUTER_API_KEY=" + old_key + "\nMISTRAL_API_KEY=" + mistral + "\n");
  EXPECT_EQ(Mode(backup), 0600u);
  EXPECT_EQ(Mode(daemon_.home() / "backups"), 0700u);
}

TEST_F(ExportTest, HelperCommandsPrintTheCurrentKeyAndNoSecretReachesTheirFiles) {
  StartWithSlots();
  ASSERT_EQ(Export("dev/anthropic", "claude-code").exit_code, 0);
  ASSERT_EQ(Export("dev/openrouter", "codex").exit_code, 0);
  Json claude = ReadJson(home() / ".claude/settings.json");
  EXPECT_EQ(claude["env"]["ANTHROPIC_BASE_URL"], fake_->BaseUrl("anthropic"))
      << "Claude Code adds /v1";
  EXPECT_EQ(claude["model"], "claude-sonnet-4-20250514");
  std::string helper = claude["apiKeyHelper"];
  EXPECT_NE(helper.find(" get dev/anthropic"), std::string::npos) << helper;
  EXPECT_EQ(helper.front(), '/') << "the absolute keywarden binary";
  EXPECT_EQ(RunProgram("/bin/sh", {"-c", helper}).out, anthropic_);

  std::string toml = ReadFile(home() / ".codex/config.toml");
  EXPECT_NE(toml.find("model_provider = \"keywarden-dev-openrouter\""), std::string::npos) << toml;
  EXPECT_NE(toml.find("base_url = \"" + fake_->BaseUrl("openrouter/api/v1") + "\""),
            std::string::npos)
      << toml;
  EXPECT_NE(toml.find("wire_api = \"responses\""), std::string::npos) << toml;
  EXPECT_NE(
      toml.find("\"--home\", \"" + daemon_.home().string() + "\", \"get\", \"dev/openrouter\""),
      std::string::npos)
      << toml;
  // Codex runs command + args; they print the key.
  const std::string command_key = "command = \"";
  size_t at = toml.find(command_key);
  ASSERT_NE(at, std::string::npos) << toml;
  std::string command = toml.substr(
      at + command_key.size(), toml.find('"', at + command_key.size()) - at - command_key.size());
  EXPECT_EQ(RunProgram(command, {"--home", daemon_.home().string(), "get", "dev/openrouter"}).out,
            openrouter_);
  EXPECT_FALSE(AnyFileContains(home(), anthropic_));
  EXPECT_FALSE(AnyFileContains(home(), openrouter_));

  // A rotation reaches the helper without exporting again.
  std::string rotated = FakeKey("anthropic");
  fake_->AddKeys({{{"key", rotated}, {"provider", "anthropic"}}});
  CliResult rotate = daemon_.Cli({"rotate", "dev/anthropic", "--wait", "--timeout", "40s"},
                                 {.stdin_data = rotated});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  EXPECT_EQ(RunProgram("/bin/sh", {"-c", helper}).out, rotated);
}

TEST_F(ExportTest, GeminiCliDotenvAndShellCarryTheKeyInTheProviderVariable) {
  StartWithSlots();
  ASSERT_EQ(Export("dev/gemini", "gemini-cli").exit_code, 0);
  EXPECT_EQ(
      ReadFile(home() / ".gemini/.env"),
      "GEMINI_API_KEY=" + gemini_ + "\nGOOGLE_GEMINI_BASE_URL=" + fake_->BaseUrl("gemini") + "\n");
  EXPECT_EQ(Mode(home() / ".gemini/.env"), 0600u);
  Json settings = ReadJson(home() / ".gemini/settings.json");
  EXPECT_EQ(settings["security"]["auth"]["selectedType"], "gemini-api-key");
  EXPECT_EQ(settings["model"]["name"], "gemini-2.5-flash");

  fs::path dotenv = home() / "project/.env";
  ASSERT_EQ(Export("dev/openrouter", "dotenv", {"--path", dotenv.string()}).exit_code, 0);
  EXPECT_EQ(ReadFile(dotenv), "OPENROUTER_API_KEY=" + openrouter_ + "\n");
  EXPECT_EQ(Mode(dotenv), 0600u);

  CliResult shell = Export("dev/openrouter", "shell");
  ASSERT_EQ(shell.exit_code, 0) << shell.err;
  EXPECT_EQ(RunProgram("/bin/sh", {"-c", shell.out + "printf %s \"$OPENROUTER_API_KEY\""}).out,
            openrouter_);
}

TEST_F(ExportTest, ToolDirectoryVariablesAreHonoured) {
  StartWithSlots();
  const fs::path elsewhere = dir_.path() / "elsewhere";
  ::setenv("CLINE_DIR", (elsewhere / "cline").c_str(), 1);
  ::setenv("CONTINUE_GLOBAL_DIR", (elsewhere / "continue").c_str(), 1);
  ::setenv("CODEX_HOME", (elsewhere / "codex").c_str(), 1);
  for (const char* target : {"cline", "continue", "codex"})
    ASSERT_EQ(Export("dev/openrouter", target).exit_code, 0);
  EXPECT_TRUE(fs::exists(elsewhere / "cline/data/settings/providers.json"));
  EXPECT_TRUE(fs::exists(elsewhere / "continue/config.yaml"));
  EXPECT_TRUE(fs::exists(elsewhere / "continue/.env"));
  EXPECT_TRUE(fs::exists(elsewhere / "codex/config.toml"));
  EXPECT_TRUE(fs::is_empty(home()));
}

TEST_F(ExportTest, TargetsRefuseProvidersTheirToolCannotUse) {
  StartWithSlots();
  for (auto [ref, target] : {std::pair{"dev/codestral", "claude-code"},
                             {"dev/codestral", "codex"},
                             {"dev/openrouter", "gemini-cli"}}) {
    CliResult r = Export(ref, target);
    EXPECT_EQ(r.exit_code, 1) << target;
    EXPECT_NE(r.err.find(std::string(target) + " cannot use " + ref), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("keywarden exec " + std::string(ref)), std::string::npos) << r.err;
  }
  EXPECT_EQ(Export("dev/openrouter", "vim").exit_code, 2);
  EXPECT_TRUE(fs::is_empty(home()));
}

class ExportExecTest : public ExportFixture {
 protected:
  // `env` output as a set of lines.
  static std::set<std::string> EnvLines(const std::string& out) {
    std::set<std::string> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) lines.insert(line);
    return lines;
  }
};

TEST_F(ExportExecTest, SetsEachProviderVariableAndNothingElse) {
  std::string openrouter = FakeKey("openrouter"), mistral = FakeKey("mistral");
  Start({{{"key", openrouter}, {"provider", "openrouter"}},
         {{"key", mistral}, {"provider", "mistral"}}});
  AddVerified("dev/openrouter", "openrouter", "deepseek/deepseek-chat", openrouter);
  AddVerified("dev/mistral", "mistral", "devstral-medium-latest", mistral);
  const RunOptions options = {
      .extra_env = {"KEYWARDEN_HOME=" + daemon_.home().string(), "MISTRAL_API_KEY=stale"}};
  CliResult direct = RunProgram("/usr/bin/env", {}, options);
  CliResult through = daemon_.Cli({"exec", "dev/openrouter,dev/mistral", "--", "/usr/bin/env"},
                                  {.extra_env = {"MISTRAL_API_KEY=stale"}});
  ASSERT_EQ(through.exit_code, 0) << through.err;
  std::set<std::string> expected = EnvLines(direct.out);
  expected.erase("MISTRAL_API_KEY=stale");
  expected.insert("OPENROUTER_API_KEY=" + openrouter);
  expected.insert("MISTRAL_API_KEY=" + mistral);
  EXPECT_EQ(EnvLines(through.out), expected);

  CliResult args = daemon_.Cli({"exec", "dev/mistral", "--", "/bin/sh", "-c",
                                "echo \"$1 $MISTRAL_API_KEY\"", "sh", "--not-an-option"});
  EXPECT_EQ(args.out, "--not-an-option " + mistral + "\n") << args.err;

  CliResult clash = daemon_.Cli({"exec", "dev/mistral,dev/mistral", "--", "/usr/bin/true"});
  EXPECT_EQ(clash.exit_code, 2);
  EXPECT_NE(clash.err.find("would both set MISTRAL_API_KEY"), std::string::npos) << clash.err;
}

// The variable follows the endpoint: a Codestral key is CODESTRAL_API_KEY,
// so a Codestral slot and a general Mistral slot go together.
TEST_F(ExportExecTest, CodestralSlotSetsCodestralApiKeyBesideAMistralSlot) {
  std::string codestral = FakeKey("mistral"), mistral = FakeKey("mistral");
  Start({{{"key", codestral}, {"provider", "mistral"}, {"mistral_kind", "codestral"}},
         {{"key", mistral}, {"provider", "mistral"}}});
  AddVerified("dev/codestral", "mistral", "codestral-2508", codestral, {"--endpoint", "codestral"});
  AddVerified("dev/mistral-chat", "mistral", "devstral-medium-latest", mistral);
  CliResult r = daemon_.Cli({"exec", "dev/codestral,dev/mistral-chat", "--", "/bin/sh", "-c",
                             "echo \"$CODESTRAL_API_KEY $MISTRAL_API_KEY\""});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, codestral + " " + mistral + "\n");
  CliResult line = daemon_.Cli({"export", "dev/codestral", "--to", "shell"});
  ASSERT_EQ(line.exit_code, 0) << line.err;
  EXPECT_EQ(line.out.rfind("export CODESTRAL_API_KEY=", 0), 0u) << line.out;
}

TEST_F(ExportExecTest, UnusableSlotOrMissingCommandRunsNothing) {
  std::string key = FakeKey("openrouter");
  Start(
      {{{"key", key}, {"provider", "openrouter"}, {"allowed_models", {"deepseek/deepseek-chat"}}}});
  CliResult add = daemon_.Cli({"add", "dev/openrouter", "--provider", "openrouter", "--models",
                               "google/gemini-2.5-flash", "--wait", "--timeout", "40s"},
                              {.stdin_data = key});
  ASSERT_EQ(add.exit_code, 3) << add.err;
  fs::path marker = dir_.path() / "ran";
  CliResult r = daemon_.Cli({"exec", "dev/openrouter", "--", "/usr/bin/touch", marker.string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("not usable"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(marker));
  EXPECT_EQ(daemon_.Cli({"exec", "dev/nothing", "--", "/usr/bin/true"}).exit_code, 4);

  std::string good = FakeKey("openrouter");
  fake_->AddKeys({{{"key", good}, {"provider", "openrouter"}}});
  AddVerified("dev/good", "openrouter", "deepseek/deepseek-chat", good);
  CliResult missing = daemon_.Cli({"exec", "dev/good", "--", "no-such-command-keywarden"});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.err.find("cannot run no-such-command-keywarden"), std::string::npos)
      << missing.err;
}

}  // namespace
}  // namespace keywarden::testing
