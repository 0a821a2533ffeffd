// `keywarden scan` and `keywarden import` through the real CLI and daemon:
// the finds in a user's tool files, the findings, no full key in any
// output, and import adding unknown keys as slots the fake provider then
// verifies (docs/scan.md).
#include <sys/stat.h>

#include <fstream>

#include "integration/export_fixture.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& file, const std::string& text,
           fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
  fs::permissions(file, mode);
}

class ScanTest : public ExportFixture {
 protected:
  // ~/.continue/config.yaml names a model beside its OpenRouter key;
  // ~/.env holds a Mistral key (readable by everyone); a project's .env,
  // tracked by git, holds the OpenRouter key again.
  void WriteKeys() {
    Write(home() / ".continue/config.yaml",
          "models:\n"
          "  - name: mine\n"
          "    provider: openrouter\n"
          "    model: deepseek/deepseek-chat\n"
          "    apiKey: " +
              openrouter_ + "\n");
    Write(home() / ".env", "MISTRAL_API_KEY=" + mistral_ + "\n",
          fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
              fs::perms::others_read);
    Write(project() / ".env", "# the app's key\nOPENROUTER_API_KEY=\"" + openrouter_ + "\"\n");
    CliResult init = RunProgram("git", {"-C", project().string(), "init", "-q"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    CliResult add = RunProgram("git", {"-C", project().string(), "add", ".env"});
    ASSERT_EQ(add.exit_code, 0) << add.err;
  }

  fs::path project() const { return dir_.path() / "project"; }

  void StartWithKeys() {
    Start({{{"key", openrouter_}, {"provider", "openrouter"}},
           {{"key", mistral_}, {"provider", "mistral"}}});
  }

  // No output of a verb holds a full key.
  void ExpectNoKey(const CliResult& r) {
    for (const std::string* key : {&openrouter_, &mistral_}) {
      EXPECT_EQ(r.out.find(*key), std::string::npos) << "a full key on stdout:\n" << r.out;
      EXPECT_EQ(r.err.find(*key), std::string::npos) << "a full key on stderr:\n" << r.err;
    }
  }

  std::string mistral_ = FakeKey("mistral");
};

TEST_F(ScanTest, FindsEachKeyWithItsPlaceProviderAndFindings) {
  StartWithKeys();
  WriteKeys();
  CliResult r = daemon_.Cli({"scan", project().string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectNoKey(r);
  Json out = Json::parse(r.out);
  const Json& finds = out["finds"];
  ASSERT_EQ(finds.size(), 3u) << r.out;
  EXPECT_EQ(finds[0]["file"], (home() / ".continue/config.yaml").string());
  EXPECT_EQ(finds[0]["line"], 5);
  EXPECT_EQ(finds[0]["provider"], "openrouter");
  EXPECT_EQ(finds[0]["models"], Json::array({"deepseek/deepseek-chat"}));
  EXPECT_EQ(finds[1]["file"], (home() / ".env").string());
  EXPECT_EQ(finds[1]["field"], "MISTRAL_API_KEY");
  EXPECT_EQ(finds[1]["provider"], "mistral");
  EXPECT_EQ(finds[2]["file"], (fs::canonical(project()) / ".env").string());
  EXPECT_EQ(finds[2]["line"], 2);
  for (const Json& find : finds) {
    EXPECT_NE(find["key"].get<std::string>().find("\u2026"), std::string::npos) << "masked";
  }
  std::set<std::pair<std::string, std::string>> findings;
  for (const Json& finding : out["findings"]) {
    findings.insert({fs::path(finding["file"].get<std::string>()).filename(),
                     finding["kind"].get<std::string>()});
  }
  EXPECT_TRUE(findings.contains({".env", "readable_by_others"})) << out["findings"].dump();
  EXPECT_TRUE(findings.contains({".env", "git_tracked"})) << out["findings"].dump();
  EXPECT_FALSE(findings.contains({"config.yaml", "readable_by_others"}));

  // The table says the same, masked.
  CliResult table = daemon_.Cli({"scan", project().string()});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  ExpectNoKey(table);
  EXPECT_NE(table.out.find("~/.continue/config.yaml:5"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("tracked by git"), std::string::npos) << table.out;
}

TEST_F(ScanTest, ImportAddsUnknownKeysWithTheToolsModelsAndValidatesThem) {
  StartWithKeys();
  WriteKeys();
  // Find 1: the Continue entry names its model. Find 3 is the same key: one slot.
  CliResult r = daemon_.Cli(
      {"import", "--env", "dev", "--dir", project().string(), "1", "--wait", "--timeout", "40s"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << daemon_.Log();
  ExpectNoKey(r);
  EXPECT_NE(r.out.find("as dev/openrouter version 1"), std::string::npos) << r.out;
  // Find 2 (Mistral, in ~/.env) names no model: --models, by FILE:LINE.
  CliResult no_model = daemon_.Cli({"import", "--env", "dev", (home() / ".env").string() + ":1"});
  EXPECT_EQ(no_model.exit_code, 2) << no_model.err;
  EXPECT_NE(no_model.err.find("--models"), std::string::npos) << no_model.err;
  CliResult mistral =
      daemon_.Cli({"import", "--env", "dev", (home() / ".env").string() + ":1", "--models",
                   "mistral-small-latest", "--wait", "--timeout", "40s"});
  ASSERT_EQ(mistral.exit_code, 0) << mistral.out << mistral.err << daemon_.Log();
  ExpectNoKey(mistral);

  CliResult show = daemon_.Cli({"show", "dev/openrouter", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  Json slot = Json::parse(show.out);
  EXPECT_EQ(slot["models"], Json::array({"deepseek/deepseek-chat"}));
  EXPECT_TRUE(slot["usable"].get<bool>()) << show.out;
  CliResult got = daemon_.Cli({"get", "dev/mistral"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, mistral_) << "the key imported is the key found";
}

TEST_F(ScanTest, ImportNeedsASelectionThatNamesAFind) {
  StartWithKeys();
  WriteKeys();
  EXPECT_EQ(daemon_.Cli({"import", "--env", "dev"}).exit_code, 2);
  CliResult none = daemon_.Cli({"import", "--env", "dev", "9"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("\"9\" names no find"), std::string::npos) << none.err;
  EXPECT_EQ(daemon_.Cli({"import", "--env", "dev", "--all", "1"}).exit_code, 2);
}

// key.identify (the copies work): what each find is to keywarden, and one
// key in two environments. Skipped while the daemon does not have it.
TEST_F(ScanTest, IdentifiesKnownKeysAndOneKeyInTwoEnvironments) {
  StartWithKeys();
  WriteKeys();
  AddVerified("dev/openrouter", "openrouter", "deepseek/deepseek-chat", openrouter_);
  CliResult r = daemon_.Cli({"scan", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  if (r.err.find("no key.identify") != std::string::npos) {
    GTEST_SKIP() << "this daemon has no key.identify yet";
  }
  ExpectNoKey(r);
  Json finds = Json::parse(r.out)["finds"];
  ASSERT_EQ(finds.size(), 2u) << r.out;
  EXPECT_EQ(finds[0]["what"], "current of dev/openrouter");
  EXPECT_EQ(finds[1]["what"], "unknown");
  AddVerified("prod/openrouter", "openrouter", "deepseek/deepseek-chat", openrouter_);
  r = daemon_.Cli({"scan", "--json"});
  Json out = Json::parse(r.out);
  bool two = false;
  for (const Json& finding : out["findings"]) two = two || finding["kind"] == "two_environments";
  EXPECT_TRUE(two) << r.out;
  // import --all adds only the unknown key.
  CliResult imported = daemon_.Cli({"import", "--all", "--env", "dev", "--models", "m"});
  EXPECT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.err.find("already in keywarden"), std::string::npos) << imported.err;
  EXPECT_NE(imported.out.find("as dev/mistral"), std::string::npos) << imported.out;
}

}  // namespace
}  // namespace keywarden::testing
