// The key scanner on a fixture home and project tree built here: every file
// kind it reads, and the traps (a key-shaped string that is no key, a key
// in a comment, a 5 MiB file, a binary, symlink loops, a symlink out of the
// tree, a FIFO, an unreadable file, CRLF and BOM files), with the exact
// finds expected.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <tuple>

#include "keywarden/keyformat.h"
#include "scan/daemon_seam.h"
#include "scan/scanner.h"
#include "support/temp_dir.h"

namespace keywarden::cli::scan {
namespace {

namespace fs = std::filesystem;
using keywarden::testing::TempDir;

// A well-formed key of `provider`, different for each `seed`.
std::string Key(std::string_view provider, char seed) {
  auto run = [seed](size_t n, std::string_view alphabet) {
    std::string out;
    for (size_t i = 0; i < n; ++i)
      out += alphabet[(static_cast<size_t>(seed) * 7 + i * 13) % alphabet.size()];
    return out;
  };
  const std::string_view alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  if (provider == "openrouter") return "sk-or-v1-" + run(64, "0123456789abcdef");
  if (provider == "anthropic") return "sk-ant-api03-" + run(93, alnum) + "AA";
  if (provider == "openai") return "sk-proj-" + run(74, alnum) + "T3BlbkFJ" + run(74, alnum);
  if (provider == "gemini") return "AIza" + run(35, alnum);
  if (provider == "deepseek") return "sk-" + run(32, "abcdefghijklmnopqrstuvwxyz0123456789");
  return run(32, alnum);  // mistral: no prefix
}

void Write(const fs::path& file, std::string_view text, mode_t mode = 0600) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
  fs::permissions(file, static_cast<fs::perms>(mode));
}

using Row =
    std::tuple<std::string, size_t, std::string, std::string, std::string, bool,
               std::vector<std::string>>;  // file, line, field, provider, by, comment, models

std::vector<Row> Rows(const std::vector<Find>& finds, const fs::path& base) {
  std::vector<Row> rows;
  for (const Find& f : finds) {
    rows.emplace_back(f.file.lexically_relative(base).string(), f.line, f.field, f.provider, f.by,
                      f.comment, f.models);
  }
  return rows;
}

struct Fixture {
  TempDir dir{"kwscan"};
  fs::path home = fs::canonical(dir.path()) / "home";
  fs::path project = fs::canonical(dir.path()) / "project";
  std::map<std::string, std::string> keys;

  Fixture() {
    for (auto [name, provider, seed] :
         std::initializer_list<std::tuple<const char*, const char*, char>>{
             {"OR1", "openrouter", 1},   {"OR2", "openrouter", 2},  {"OR3", "openrouter", 3},
             {"OR4", "openrouter", 4},   {"OR5", "openrouter", 5},  {"OR6", "openrouter", 6},
             {"MI1", "mistral", 1},      {"MI2", "mistral", 2},     {"MI3", "mistral", 3},
             {"GE1", "gemini", 1},       {"GE2", "gemini", 2},      {"GE3", "gemini", 3},
             {"AN1", "anthropic", 1},    {"AN2", "anthropic", 2},   {"OA1", "openai", 1},
             {"OA2", "openai", 2},       {"DS1", "deepseek", 1},    {"DS2", "deepseek", 2},
             {"BIG", "openrouter", 9},   {"BIN", "openrouter", 10}, {"OUT", "openrouter", 11},
             {"DEEP", "openrouter", 12}, {"NM", "openrouter", 13}}) {
      keys[name] = Key(provider, seed);
    }
    const fs::path& h = home;
    Write(h / ".cline/data/settings/providers.json",
          "{\n"
          "  \"version\": 1,\n"
          "  \"providers\": {\n"
          "    \"openrouter\": {\n"
          "      \"settings\": {\n"
          "        \"provider\": \"openrouter\",\n"
          "        \"apiKey\": \"" +
              keys["OR1"] +
              "\",\n"
              "        \"model\": \"anthropic/claude-sonnet-4.5\"\n"
              "      }\n"
              "    },\n"
              "    \"mistral\": {\n"
              "      \"settings\": {\"provider\": \"mistral\", \"model\": \"codestral-latest\",\n"
              "        \"apiKey\": \"" +
              keys["MI1"] +
              "\"}\n"
              "    }\n"
              "  }\n"
              "}\n");
    Write(h / ".continue/config.yaml",
          "name: local\n"
          "version: 1.0.0\n"
          "schema: v1\n"
          "models:\n"
          "  - name: keywarden-dev-openrouter\n"
          "    provider: openrouter\n"
          "    model: anthropic/claude-sonnet-4.5\n"
          "    apiKey: ${{ secrets.OPENROUTER_API_KEY }}\n"
          "  - name: ds\n"
          "    provider: deepseek\n"
          "    model: deepseek-chat\n"
          "    apiKey: " +
              keys["DS1"] +
              "\n"
              "    roles:\n"
              "      - chat\n");
    // CRLF.
    Write(h / ".continue/.env", "# keys\r\nOPENROUTER_API_KEY=" + keys["OR2"] + "\r\n");
    Write(h / ".config/keywarden/roo-code-settings.json",
          "{\"providerProfiles\": {\"currentApiConfigName\": \"x\", \"apiConfigs\": {\"x\": {\n"
          "  \"apiProvider\": \"gemini\", \"apiModelId\": \"gemini-2.5-flash\",\n"
          "  \"geminiApiKey\": \"" +
              keys["GE1"] + "\"}}}}\n");
    Write(h / ".claude/settings.json",
          "{\n  \"apiKeyHelper\": \"keywarden get dev/anthropic\",\n  \"env\": {\n"
          "    \"ANTHROPIC_MODEL\": \"claude-sonnet-4-5\",\n"
          "    \"ANTHROPIC_API_KEY\": \"" +
              keys["AN1"] + "\"\n  }\n}\n");
    Write(h / ".codex/auth.json",
          "{\"auth_mode\": \"apikey\", \"OPENAI_API_KEY\": \"" + keys["OA1"] + "\"}\n");
    // BOM.
    Write(h / ".gemini/.env", "\xEF\xBB\xBFGEMINI_API_KEY=" + keys["GE2"] + "\n");
    Write(h / ".aider.conf.yml",
          "model: openrouter/anthropic/claude-sonnet-4.5\n"
          "api-key:\n"
          "  - openrouter=" +
              keys["OR3"] +
              "\n"
              "  - mistral=" +
              keys["MI2"] + "\n");
    // A Mistral-shaped word under a name that is not a key's: no find.
    Write(h / ".env",
          "BUILD_ID=" + Key("mistral", 40) +
              "\n"
              "MISTRAL_API_KEY=\"" +
              keys["MI3"] + "\"\n",
          0644);
    Write(h / ".bashrc",
          "alias k='echo sk-or-v1-notakey'\n"
          "export OPENROUTER_API_KEY=" +
              keys["OR4"] +
              "\n"
              "# export ANTHROPIC_API_KEY=" +
              keys["AN2"] + "\n");
    Write(h / ".config/fish/config.fish", "set -gx DEEPSEEK_API_KEY " + keys["DS2"] + "\n");

    const fs::path& p = project;
    // An OpenRouter look-alike with a non-hex letter: no key.
    Write(p / "app/.env.local", "SOME_TOKEN=sk-or-v1-" + std::string(63, 'a') +
                                    "g\n"
                                    "OPENAI_API_KEY=" +
                                    keys["OA2"] + "\n");
    Write(p / "sub/.env.crlf", "GEMINI_API_KEY=" + keys["GE3"] + "\r\n");
    Write(p / ".claude/settings.local.json",
          "{\"env\": {\"ANTHROPIC_BASE_URL\": \"https://openrouter.ai/api\",\n"
          " \"ANTHROPIC_AUTH_TOKEN\": \"" +
              keys["OR5"] + "\"}}\n");
    // Trees never entered, files never read.
    Write(p / "node_modules/pkg/.env", "OPENROUTER_API_KEY=" + keys["NM"] + "\n");
    Write(p / ".git/.env", "OPENROUTER_API_KEY=" + keys["NM"] + "\n");
    Write(p / "build/.env", "OPENROUTER_API_KEY=" + keys["NM"] + "\n");
    Write(p / "cmake-out/CMakeCache.txt", "");
    Write(p / "cmake-out/.env", "OPENROUTER_API_KEY=" + keys["NM"] + "\n");
    std::string big = "OPENROUTER_API_KEY=" + keys["BIG"] + "\n";
    big.resize(5 * 1024 * 1024, '#');
    Write(p / ".env.big", big);
    Write(p / ".env.bin", std::string("\x7F"
                                      "ELF\0\0",
                                      6) +
                              keys["BIN"]);
    fs::create_directory_symlink(p, p / "loop");
    fs::create_symlink(".env.self", p / ".env.self");
    Write(dir.path() / "outside.env", "OPENROUTER_API_KEY=" + keys["OUT"] + "\n");
    fs::create_symlink(dir.path() / "outside.env", p / ".env.outside");
    fs::create_symlink("app/.env.local", p / ".env.inside");  // followed: the same file
    ::mkfifo((p / ".env.fifo").c_str(), 0600);
    fs::path deep = p;
    for (int i = 0; i < 10; ++i) deep /= "d";
    Write(deep / ".env", "OPENROUTER_API_KEY=" + keys["DEEP"] + "\n");
  }

  Options Opts() const {
    Options options;
    options.home = home;
    options.dirs = {project};
    return options;
  }
};

TEST(ScanTest, ExactFindsOverEveryFileKindAndTrap) {
  Fixture fx;
  Report report = Scan(fx.Opts());
  const std::vector<std::string> no_models;
  const fs::path base = fs::canonical(fx.dir.path());
  std::vector<Row> expected = {
      {"home/.cline/data/settings/providers.json",
       7,
       "providers.openrouter.settings.apiKey",
       "openrouter",
       "name",
       false,
       {"anthropic/claude-sonnet-4.5"}},
      {"home/.cline/data/settings/providers.json",
       13,
       "providers.mistral.settings.apiKey",
       "mistral",
       "name",
       false,
       {"codestral-latest"}},
      {"home/.continue/config.yaml", 12, "apiKey", "deepseek", "name", false, {"deepseek-chat"}},
      {"home/.continue/.env", 2, "OPENROUTER_API_KEY", "openrouter", "name", false, no_models},
      {"home/.config/keywarden/roo-code-settings.json",
       3,
       "providerProfiles.apiConfigs.x.geminiApiKey",
       "gemini",
       "name",
       false,
       {"gemini-2.5-flash"}},
      {"home/.claude/settings.json",
       5,
       "env.ANTHROPIC_API_KEY",
       "anthropic",
       "name",
       false,
       {"claude-sonnet-4-5"}},
      {"home/.codex/auth.json", 1, "OPENAI_API_KEY", "openai", "name", false, no_models},
      {"home/.gemini/.env", 1, "GEMINI_API_KEY", "gemini", "name", false, no_models},
      {"home/.aider.conf.yml",
       3,
       "openrouter",
       "openrouter",
       "name",
       false,
       {"anthropic/claude-sonnet-4.5"}},
      {"home/.aider.conf.yml", 4, "mistral", "mistral", "name", false, no_models},
      {"home/.env", 2, "MISTRAL_API_KEY", "mistral", "name", false, no_models},
      {"home/.bashrc", 2, "OPENROUTER_API_KEY", "openrouter", "name", false, no_models},
      {"home/.bashrc", 3, "ANTHROPIC_API_KEY", "anthropic", "name", true, no_models},
      {"home/.config/fish/config.fish", 1, "DEEPSEEK_API_KEY", "deepseek", "name", false,
       no_models},
      // The name says Anthropic; the key is OpenRouter's (its documented route).
      {"project/.claude/settings.local.json", 2, "env.ANTHROPIC_AUTH_TOKEN", "openrouter", "prefix",
       false, no_models},
      {"project/app/.env.local", 2, "OPENAI_API_KEY", "openai", "name", false, no_models},
      {"project/sub/.env.crlf", 1, "GEMINI_API_KEY", "gemini", "name", false, no_models},
  };
  EXPECT_EQ(Rows(report.finds, base), expected);
  // Each find holds its exact key (BOM, quotes and CR gone).
  std::vector<std::string> want_keys = {"OR1", "MI1", "DS1", "OR2", "GE1", "AN1",
                                        "OA1", "GE2", "OR3", "MI2", "MI3", "OR4",
                                        "AN2", "DS2", "OR5", "OA2", "GE3"};
  ASSERT_EQ(report.finds.size(), want_keys.size());
  for (size_t i = 0; i < want_keys.size(); ++i) {
    EXPECT_EQ(report.finds[i].key.view(), fx.keys[want_keys[i]]) << "find " << i;
    EXPECT_EQ(report.finds[i].Masked().find(fx.keys[want_keys[i]]), std::string::npos);
  }

  // Where sync can rewrite each key: a NAME=value line or a JSON member.
  std::vector<std::string> fields;
  for (const Find& find : report.finds) fields.push_back(find.copy_field);
  EXPECT_EQ(fields, (std::vector<std::string>{
                        "json:/providers/openrouter/settings/apiKey",
                        "json:/providers/mistral/settings/apiKey",
                        "",  // YAML
                        "dotenv:OPENROUTER_API_KEY",
                        "json:/providerProfiles/apiConfigs/x/geminiApiKey",
                        "json:/env/ANTHROPIC_API_KEY",
                        "json:/OPENAI_API_KEY",
                        "dotenv:GEMINI_API_KEY",
                        "",  // aider's YAML
                        "",
                        "dotenv:MISTRAL_API_KEY",
                        "dotenv:OPENROUTER_API_KEY",  // export NAME=value
                        "",                           // a comment
                        "",                           // fish
                        "json:/env/ANTHROPIC_AUTH_TOKEN",
                        "dotenv:OPENAI_API_KEY",
                        "dotenv:GEMINI_API_KEY",
                    }));

  std::set<std::pair<std::string, std::string>> skipped;
  for (const Skip& skip : report.skipped) {
    skipped.insert({skip.file.lexically_relative(base).string(), skip.reason});
  }
  std::set<std::pair<std::string, std::string>> want_skipped = {
      {"project/.env.big", "larger than 1024 KiB"},
      {"project/.env.bin", "binary"},
      {"project/.env.fifo", "not a regular file"},
      {"project/.env.outside", "symlink leaving the tree"},
      {"project/.env.self", "symlink loop"},
  };
  EXPECT_EQ(skipped, want_skipped);
}

TEST(ScanTest, DepthBoundsTheWalk) {
  Fixture fx;
  Options options = fx.Opts();
  options.home.clear();
  options.max_depth = 12;
  Report report = Scan(options);
  bool deep = false;
  for (const Find& find : report.finds) deep = deep || find.key.view() == fx.keys["DEEP"];
  EXPECT_TRUE(deep);
  options.max_depth = 8;
  report = Scan(options);
  for (const Find& find : report.finds) EXPECT_NE(find.key.view(), fx.keys["DEEP"]);
}

TEST(ScanTest, ToolOverridesOfTheHomeLayoutAreFollowed) {
  Fixture fx;
  Write(fx.dir.path() / "elsewhere/config.yaml",
        "models:\n  - provider: mistral\n    model: m\n"
        "    apiKey: " +
            fx.keys["MI1"] + "\n");
  Options options;
  options.home = fx.dir.path() / "nohome";
  const std::string continue_dir = (fx.dir.path() / "elsewhere").string();
  options.getenv = [&](const char* name) -> const char* {
    return std::string_view(name) == "CONTINUE_GLOBAL_DIR" ? continue_dir.c_str() : nullptr;
  };
  Report report = Scan(options);
  ASSERT_EQ(report.finds.size(), 1u);
  EXPECT_EQ(report.finds[0].provider, "mistral");
  EXPECT_EQ(report.finds[0].models, std::vector<std::string>{"m"});
}

TEST(ScanTest, AnUnreadableFileIsReportedNotRead) {
  // Root reads every file, so the scan runs as nobody in a child.
  TempDir dir{"kwscanperm"};
  fs::permissions(dir.path(), fs::perms::all);
  const fs::path tree = dir.path() / "t";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
    fs::create_directories(tree);
    Write(tree / ".env", "OPENROUTER_API_KEY=" + Key("openrouter", 1) + "\n", 0000);
    Options options;
    options.dirs = {tree};
    Report report = Scan(options);
    bool ok = report.finds.empty() && report.skipped.size() == 1 &&
              report.skipped[0].reason == "permission denied" &&
              report.skipped[0].file.filename() == ".env";
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ScanTest, MistralNeedsItsNameAndPrefixesNeedNone) {
  const std::string mistral = Key("mistral", 5), deepseek = Key("deepseek", 5);
  auto finds =
      ScanText("X=" + mistral + "\nnote: " + deepseek + " here\n", Format::kDotenv, "dotenv", "/f");
  ASSERT_EQ(finds.size(), 1u);
  EXPECT_EQ(finds[0].provider, "deepseek");
  EXPECT_EQ(finds[0].by, "prefix");
  EXPECT_EQ(finds[0].line, 2u);
  // A reference is no key.
  EXPECT_TRUE(ScanText("MISTRAL_API_KEY=${MISTRAL_KEY}\nOPENAI_API_KEY=$(keywarden get x)\n",
                       Format::kShell, "shell", "/f")
                  .empty());
}

TEST(ScanTest, DescribeSaysWhatAKeyIsToKeywarden) {
  EXPECT_EQ(Describe({}), "unknown");
  EXPECT_EQ(Describe({{"dev/openrouter", 2, "verified", true}}), "current of dev/openrouter");
  EXPECT_EQ(Describe({{"dev/openrouter", 1, "retired", false}}), "retired v1 of dev/openrouter");
  EXPECT_EQ(Environments({{"dev/a", 1, "verified", true}, {"prod/a", 1, "verified", true}}),
            (std::vector<std::string>{"dev", "prod"}));
}

}  // namespace
}  // namespace keywarden::cli::scan
