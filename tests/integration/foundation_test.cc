// The foundation through the real binaries: keywardend on a temporary home,
// the keywarden CLI as a child process, real SQLite files and sockets.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "integration/harness.h"
#include "keywarden/client.h"
#include "keywarden/protocol.h"
#include "support/fake_provider.h"

namespace keywarden::testing {
namespace {

class FoundationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteConfig(daemon_.home(), OfflineConfig());
    std::string why;
    ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  }

  Json ShowJson(const std::string& ref) {
    CliResult r = daemon_.Cli({"show", ref, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }

  CliResult Add(const std::string& ref, const std::string& provider, const std::string& key,
                std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "add",    ref,        "--provider",
        provider, "--models", provider == "openrouter" ? "deepseek/deepseek-chat" : "m1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return daemon_.Cli(args, {.stdin_data = key + "\n"});
  }

  TempDir dir_;
  Daemon daemon_{dir_.path() / "home"};
};

TEST_F(FoundationTest, AddListShowGetRemoveThroughTheCli) {
  std::string key = FakeKey("openrouter");
  CliResult added = Add("dev/openrouter", "openrouter", key);
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_NE(added.out.find("pending"), std::string::npos);
  EXPECT_EQ(added.err, "");  // a newline from the pipe is not a warning

  CliResult listed = daemon_.Cli({"list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  Json list = Json::parse(listed.out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["ref"], "dev/openrouter");

  Json slot = ShowJson("dev/openrouter");
  EXPECT_EQ(slot["env"], "dev");
  EXPECT_EQ(slot["name"], "openrouter");
  EXPECT_EQ(slot["provider"], "openrouter");
  EXPECT_EQ(slot["endpoint"], "default");
  EXPECT_EQ(slot["models"], Json::array({"deepseek/deepseek-chat"}));
  EXPECT_EQ(slot["usable"], false);
  EXPECT_EQ(slot["state"], "pending");
  EXPECT_TRUE(slot["current_version"].is_null());
  ASSERT_EQ(slot["versions"].size(), 1u);
  const Json& v1 = slot["versions"][0];
  EXPECT_EQ(v1["version"], 1);
  EXPECT_EQ(v1["state"], "pending");
  EXPECT_EQ(v1["fingerprint"], "sk-or-v1-…" + key.substr(key.size() - 4));
  EXPECT_TRUE(v1["created_at"].get<std::string>().ends_with("Z"));

  CliResult got = daemon_.Cli({"get", "dev/openrouter"});
  EXPECT_EQ(got.exit_code, 3) << got.err;
  EXPECT_EQ(got.out, "");
  EXPECT_NE(got.err.find("keywarden: error: dev/openrouter is not usable"), std::string::npos)
      << got.err;

  CliResult status = daemon_.Cli({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  Json st = Json::parse(status.out);
  EXPECT_EQ(st["slots"], 1);
  EXPECT_EQ(st["versions_by_state"]["pending"], 1);

  EXPECT_EQ(daemon_.Cli({"rm", "dev/openrouter", "--yes"}).exit_code, 0);
  EXPECT_EQ(daemon_.Cli({"show", "dev/openrouter"}).exit_code, 4);
  EXPECT_EQ(daemon_.Cli({"rm", "dev/openrouter", "--yes"}).exit_code, 4);

  CliResult events = daemon_.Cli({"events", "dev/openrouter", "--json"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  Json ev = Json::parse(events.out);
  std::vector<std::string> actions;
  for (const Json& e : ev) actions.push_back(e["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"add", "rm"}));
  EXPECT_TRUE(ev[0]["fingerprint"].get<std::string>().starts_with("kfp:"));
}

TEST_F(FoundationTest, ListFiltersByEnvironmentAndDefaultEnvApplies) {
  ASSERT_EQ(Add("dev/a", "mistral", FakeKey("mistral")).exit_code, 0);
  ASSERT_EQ(Add("prod/a", "mistral", FakeKey("mistral")).exit_code, 0);
  ASSERT_EQ(Add("b", "deepseek", FakeKey("deepseek")).exit_code, 0);  // default env: dev
  Json dev = Json::parse(daemon_.Cli({"list", "--env", "dev", "--json"}).out);
  ASSERT_EQ(dev.size(), 2u);
  EXPECT_EQ(dev[0]["ref"], "dev/a");
  EXPECT_EQ(dev[1]["ref"], "dev/b");
  CliResult table = daemon_.Cli({"list"});
  EXPECT_NE(table.out.find("prod/a"), std::string::npos);
}

TEST_F(FoundationTest, RestartKeepsEverything) {
  // What the user stored; the background checks may change the rest.
  auto stored = [this](const std::string& ref) {
    Json slot = ShowJson(ref);
    for (Json& v : slot["versions"]) {
      v.erase("checks");
      v.erase("next_check_at");
    }
    return slot;
  };
  std::string key = FakeKey("deepseek");
  ASSERT_EQ(Add("staging/deepseek", "deepseek", key, {"--rotate-every", "30d"}).exit_code, 0);
  Json before = stored("staging/deepseek");
  daemon_.Stop();
  std::string why;
  ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  Json after = stored("staging/deepseek");
  EXPECT_EQ(before, after);
  EXPECT_EQ(after["rotation"]["rotate_every"], 30 * 86400);
  daemon_.Kill();
  ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  EXPECT_EQ(stored("staging/deepseek"), before);
}

TEST_F(FoundationTest, CanaryKeyNeverReachesAnyFileUnderTheHome) {
  std::string canary = "sk-kw-CANARY-" + FakeKey("other").substr(8);
  ASSERT_EQ(Add("dev/canary", "openai-compatible", canary, {"--endpoint", "http://127.0.0.1:9/v1"})
                .exit_code,
            0);
  // A rejected key must not be logged either.
  EXPECT_EQ(Add("dev/bad", "openai-compatible", canary + "\xe2\x80\x8b" + "x",
                {"--endpoint", "http://127.0.0.1:9/v1"})
                .exit_code,
            1);
  std::string which;
  EXPECT_FALSE(AnyFileContains(daemon_.home(), canary, &which)) << which;
  daemon_.Stop();  // checkpoints the WAL into the database file
  EXPECT_FALSE(AnyFileContains(daemon_.home(), canary, &which)) << which;
}

TEST_F(FoundationTest, MalformedKeyIsRejectedByCodePointAndLeavesNothing) {
  std::string key = FakeKey("mistral");
  std::string bad = key.substr(0, 10) + "\xe2\x80\x8b" + key.substr(10);
  CliResult r = Add("dev/mistral", "mistral", bad);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("U+200B"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("11"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(key.substr(0, 10)), std::string::npos) << "the error echoes the key";
  EXPECT_EQ(daemon_.Cli({"show", "dev/mistral"}).exit_code, 4);

  CliResult quoted = Add("dev/mistral", "mistral", "\"" + key + "\"");
  EXPECT_EQ(quoted.exit_code, 1);
  EXPECT_NE(quoted.err.find("quote"), std::string::npos) << quoted.err;
  CliResult bearer = Add("dev/mistral", "mistral", "Bearer " + key);
  EXPECT_EQ(bearer.exit_code, 1);
  EXPECT_NE(bearer.err.find("Bearer"), std::string::npos) << bearer.err;
}

TEST_F(FoundationTest, SurroundingWhitespaceIsTrimmedWithAWarning) {
  std::string key = FakeKey("deepseek");
  CliResult r = Add("dev/ds", "deepseek", "  " + key + " \t");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("keywarden: warning:"), std::string::npos) << r.err;
  Json slot = ShowJson("dev/ds");
  EXPECT_EQ(slot["versions"][0]["fingerprint"], "sk-…" + key.substr(key.size() - 4));
  bool trimmed = false;
  for (const Json& d : slot["diagnoses"]) trimmed = trimmed || d["code"] == "whitespace_trimmed";
  EXPECT_TRUE(trimmed) << slot.dump(2);
}

TEST_F(FoundationTest, KeyOfAnotherProviderWarns) {
  CliResult r = Add("dev/m", "mistral", FakeKey("openrouter"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("OpenRouter"), std::string::npos) << r.err;
  bool warned = false;
  Json slot = ShowJson("dev/m");
  for (const Json& d : slot["diagnoses"])
    warned = warned || d["code"] == "looks_like_other_provider";
  EXPECT_TRUE(warned);
}

TEST_F(FoundationTest, UserErrorsGiveExitCodesAndHints) {
  CliResult unknown = Add("dev/x", "nosuch", "abc");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("keywarden: hint:"), std::string::npos);
  CliResult bad_ref = Add("Dev/X", "mistral", FakeKey("mistral"));
  EXPECT_EQ(bad_ref.exit_code, 2);  // a usage error, caught before the daemon
  EXPECT_NE(bad_ref.err.find("lower-case"), std::string::npos) << bad_ref.err;
  ASSERT_EQ(Add("dev/x", "mistral", FakeKey("mistral")).exit_code, 0);
  CliResult duplicate = Add("dev/x", "mistral", FakeKey("mistral"));
  EXPECT_EQ(duplicate.exit_code, 1);
  EXPECT_NE(duplicate.err.find("already"), std::string::npos) << duplicate.err;
  EXPECT_EQ(daemon_.Cli({"add", "dev/y"}).exit_code, 2);  // missing --provider
  EXPECT_EQ(daemon_.Cli({"frobnicate"}).exit_code, 2);
  CliResult secret_in_argv =
      daemon_.Cli({"add", "dev/z", "--provider", "mistral", "--models", "m", "--key", "abc"});
  EXPECT_EQ(secret_in_argv.exit_code, 2);
  CliResult empty = Add("dev/e", "mistral", "");
  EXPECT_EQ(empty.exit_code, 1);
}

TEST_F(FoundationTest, ProvidersListsTheCatalogue) {
  CliResult r = daemon_.Cli({"providers", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json providers = Json::parse(r.out);
  std::set<std::string> ids;
  for (const Json& p : providers) ids.insert(p["id"]);
  for (const char* id : {"openrouter", "mistral", "gemini", "openai", "anthropic", "deepseek",
                         "openai-compatible"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

TEST_F(FoundationTest, SecondDaemonOnTheSameHomeRefusesToStart) {
  Daemon second(daemon_.home());
  CliResult r = second.StartExpectingFailure();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("another keywardend"), std::string::npos) << r.err;
  EXPECT_EQ(daemon_.Cli({"status"}).exit_code, 0);
}

TEST(DaemonStartTest, CliWithoutDaemonExitsFive) {
  TempDir dir;
  CliResult r = RunProgram(KW_CLI_PATH, {"--home", dir.path().string(), "list"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_NE(r.err.find("keywarden: hint:"), std::string::npos) << r.err;
}

TEST(DaemonStartTest, BadConfigNamesTheField) {
  TempDir dir;
  std::ofstream(dir.path() / "config.json") << R"({"validation": {"retry_min": "soon"}})";
  Daemon daemon(dir.path());
  CliResult r = daemon.StartExpectingFailure();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("validation.retry_min"), std::string::npos) << r.err;
}

TEST(DaemonStartTest, WrongMasterKeyIsAClearErrorNotGarbage) {
  TempDir dir;
  {
    Daemon daemon(dir.path());
    std::string why;
    ASSERT_TRUE(daemon.Start({}, &why)) << why;
    ASSERT_EQ(daemon
                  .Cli({"add", "dev/k", "--provider", "mistral", "--models", "m"},
                       {.stdin_data = FakeKey("mistral")})
                  .exit_code,
              0);
  }
  std::string other(32, 'x');
  std::ofstream(dir.path() / "master.key", std::ios::trunc) << other;
  Daemon daemon(dir.path());
  CliResult r = daemon.StartExpectingFailure();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("master key does not open"), std::string::npos) << r.err;

  std::filesystem::remove(dir.path() / "master.key");
  CliResult missing = daemon.StartExpectingFailure();
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("master key"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "master.key"))
      << "a new master key must not be invented for a database that has keys";
}

TEST(DaemonStartTest, FilesArePrivate) {
  TempDir dir;
  Daemon daemon(dir.path() / "home");
  std::string why;
  ASSERT_TRUE(daemon.Start({}, &why)) << why;
  auto mode = [](const std::filesystem::path& p) {
    struct stat st{};
    ::stat(p.c_str(), &st);
    return st.st_mode & 0777;
  };
  EXPECT_EQ(mode(daemon.home()), 0700u);
  EXPECT_EQ(mode(daemon.home() / "master.key"), 0600u);
  EXPECT_EQ(mode(daemon.home() / "keywarden.db"), 0600u);
  EXPECT_EQ(mode(daemon.socket()), 0600u);
}

}  // namespace
}  // namespace keywarden::testing
