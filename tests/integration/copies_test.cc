// Copies of exported keys through the real daemon and CLI (docs/copies.md):
// every export into a file is recorded, `copies` reads each file and says
// what it holds, `sync` and `rotate/rollback --wait` rewrite stale copies,
// a copy edited by hand is left alone unless forced, and no full key is
// ever printed.
#include <fstream>
#include <map>
#include <sstream>

#include "integration/export_fixture.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

class CopiesTest : public ExportFixture {
 protected:
  fs::path ClineFile() const { return home() / ".cline/data/settings/providers.json"; }
  fs::path ContinueEnv() const { return home() / ".continue/.env"; }
  fs::path RooFile() const { return home() / ".config/keywarden/roo-code-settings.json"; }
  fs::path GeminiEnv() const { return home() / ".gemini/.env"; }
  fs::path ProjectEnv() const { return home() / "project/.env"; }

  // Runs the CLI and keeps what it printed, for the canary check.
  CliResult Run(const std::vector<std::string>& args, const std::string& stdin_data = "") {
    CliResult r = daemon_.Cli(args, {.stdin_data = stdin_data});
    printed_ += r.out + r.err;
    return r;
  }

  // The openrouter key each file holds at keywarden's entry.
  std::map<std::string, std::string> OpenRouterKeys() const {
    std::map<std::string, std::string> out;
    Json cline = Json::parse(ReadFile(ClineFile()), nullptr, false);
    out["cline"] = cline["providers"]["openrouter"]["settings"]["apiKey"].get<std::string>();
    Json roo = Json::parse(ReadFile(RooFile()), nullptr, false);
    out["roo"] =
        roo["providerProfiles"]["apiConfigs"]["keywarden-dev-openrouter"]["openRouterApiKey"]
            .get<std::string>();
    out["continue"] = EnvValue(ContinueEnv(), "KEYWARDEN_DEV_OPENROUTER");
    out["dotenv"] = EnvValue(ProjectEnv(), "OPENROUTER_API_KEY");
    return out;
  }

  static std::string EnvValue(const fs::path& file, const std::string& name) {
    std::istringstream in(ReadFile(file));
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
    }
    return "";
  }

  // path -> status of `keywarden copies --json`.
  std::map<std::string, std::string> Statuses(const std::string& ref = "") {
    std::vector<std::string> args = {"copies", "--json"};
    if (!ref.empty()) args.push_back(ref);
    CliResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::string> out;
    Json copies = Json::parse(r.out, nullptr, false);
    for (const Json& c : copies["copies"]) out[c["path"]] = c["status"];
    return out;
  }

  // Rotates `ref` to `key` (known to the fake provider) with `extra` options.
  CliResult Rotate(const std::string& ref, const std::string& key,
                   std::vector<std::string> extra = {"--wait", "--timeout", "40s"}) {
    fake_->AddKeys({{{"key", key}, {"provider", "openrouter"}}});
    std::vector<std::string> args = {"rotate", ref};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args, key);
  }

  void ExpectNoFullKey(const std::vector<std::string>& keys) const {
    for (const std::string& key : keys) {
      EXPECT_EQ(printed_.find(key), std::string::npos) << "a full key was printed";
    }
    EXPECT_EQ(daemon_.Log().find(keys.front()), std::string::npos) << "a full key in the log";
  }

  std::string printed_;
};

TEST_F(CopiesTest, EveryFileTargetIsRecordedAndRotateWaitRewritesEveryCopy) {
  StartWithSlots();
  fs::create_directories(ProjectEnv().parent_path());
  for (const char* target : {"cline", "continue", "roo", "claude-code"}) {
    CliResult r = Run({"export", "dev/openrouter", "--to", target});
    ASSERT_EQ(r.exit_code, 0) << target << ": " << r.err;
  }
  ASSERT_EQ(Run({"export", "dev/openrouter", "--to", "dotenv", "--path", ProjectEnv()}).exit_code,
            0);
  ASSERT_EQ(Run({"export", "dev/gemini", "--to", "gemini-cli"}).exit_code, 0);
  // The shell target prints the key, by design: not part of the canary.
  ASSERT_EQ(daemon_.Cli({"export", "dev/openrouter", "--to", "shell"}).exit_code, 0);
  const std::map<std::string, std::string> all_current = {{ClineFile(), "current"},
                                                          {ContinueEnv(), "current"},
                                                          {RooFile(), "current"},
                                                          {ProjectEnv(), "current"},
                                                          {GeminiEnv(), "current"}};
  EXPECT_EQ(Statuses(), all_current) << "claude-code and shell write no key to disk";

  const std::string next = FakeKey("openrouter");
  CliResult rotated = Rotate("dev/openrouter", next);
  ASSERT_EQ(rotated.exit_code, 0) << rotated.out << rotated.err << daemon_.Log();
  for (const auto& [target, key] : OpenRouterKeys()) EXPECT_EQ(key, next) << target;
  EXPECT_EQ(Statuses(), all_current);
  EXPECT_NE(rotated.out.find("rewrote " + ProjectEnv().string()), std::string::npos) << rotated.out;

  // A rollback puts the previous key back into every copy.
  CliResult rolled = Run({"rollback", "dev/openrouter", "--wait"});
  ASSERT_EQ(rolled.exit_code, 0) << rolled.out << rolled.err;
  for (const auto& [target, key] : OpenRouterKeys()) EXPECT_EQ(key, openrouter_) << target;
  EXPECT_EQ(Statuses("dev/openrouter").size(), 4u);
  ExpectNoFullKey({openrouter_, next, gemini_});
}

TEST_F(CopiesTest, HandEditedCopyIsChangedAndKeptDeletedIsMissingAndSyncRewritesStale) {
  StartWithSlots();
  fs::create_directories(ProjectEnv().parent_path());
  ASSERT_EQ(Run({"export", "dev/openrouter", "--to", "dotenv", "--path", ProjectEnv()}).exit_code,
            0);
  ASSERT_EQ(Run({"export", "dev/openrouter", "--to", "cline"}).exit_code, 0);
  ASSERT_EQ(Run({"export", "dev/openrouter", "--to", "continue"}).exit_code, 0);
  const std::string theirs = "sk-or-v1-" + std::string(64, 'e');
  std::ofstream(ProjectEnv()) << "# mine\nOPENROUTER_API_KEY=" << theirs << "\nOTHER=1\n";
  fs::remove(ClineFile());
  EXPECT_EQ(Statuses(),
            (std::map<std::string, std::string>{
                {ClineFile(), "missing"}, {ContinueEnv(), "current"}, {ProjectEnv(), "changed"}}));

  const std::string next = FakeKey("openrouter");
  CliResult rotated = Rotate("dev/openrouter", next, {"--wait", "--timeout", "40s", "--no-sync"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_EQ(EnvValue(ContinueEnv(), "KEYWARDEN_DEV_OPENROUTER"), openrouter_) << "--no-sync";
  EXPECT_EQ(Statuses()[ContinueEnv()], "stale");
  Json status = Json::parse(Run({"status", "--json"}).out);
  EXPECT_EQ(status["copies"], 3);
  EXPECT_EQ(status["copies_stale"], 3) << "from the records: each holds version 1";
  Json events = Json::parse(Run({"events", "dev/openrouter", "--json"}).out);
  bool announced = false;
  for (const Json& e : events) announced = announced || e["action"] == "copies_stale";
  EXPECT_TRUE(announced) << events.dump();

  // A dry run shows the change, keys masked, and writes nothing.
  const std::string env_before = ReadFile(ContinueEnv());
  CliResult dry = Run({"sync", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("would rewrite " + ContinueEnv().string()), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("KEYWARDEN_DEV_OPENROUTER="), std::string::npos) << dry.out;
  EXPECT_EQ(ReadFile(ContinueEnv()), env_before);

  CliResult synced = Run({"sync"});
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_EQ(EnvValue(ContinueEnv(), "KEYWARDEN_DEV_OPENROUTER"), next);
  EXPECT_EQ(EnvValue(ProjectEnv(), "OPENROUTER_API_KEY"), theirs) << "a changed copy is kept";
  EXPECT_NE(synced.out.find("changed copy at " + ProjectEnv().string() + " left alone"),
            std::string::npos)
      << synced.out;
  EXPECT_EQ(Json::parse(Run({"status", "--json"}).out)["copies_stale"], 2);

  CliResult forced = Run({"sync", "dev/openrouter", "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(ReadFile(ProjectEnv()), "# mine\nOPENROUTER_API_KEY=" + next + "\nOTHER=1\n")
      << "only the key changed";
  EXPECT_EQ(Statuses()[ProjectEnv()], "current");

  CliResult forget = Run({"copies", "--forget-missing"});
  ASSERT_EQ(forget.exit_code, 0) << forget.err;
  EXPECT_EQ(Statuses(), (std::map<std::string, std::string>{{ContinueEnv(), "current"},
                                                            {ProjectEnv(), "current"}}));
  ExpectNoFullKey({openrouter_, next, theirs});
}

TEST_F(CopiesTest, RevokedVersionInACopyIsReportedRevoked) {
  StartWithSlots();
  ASSERT_EQ(Run({"export", "dev/openrouter", "--to", "cline"}).exit_code, 0);
  const std::string next = FakeKey("openrouter");
  ASSERT_EQ(Rotate("dev/openrouter", next, {"--wait", "--timeout", "40s", "--no-sync"}).exit_code,
            0);
  ASSERT_EQ(Run({"revoke", "dev/openrouter", "--version", "1", "--yes"}).exit_code, 0);
  CliResult r = Run({"copies", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json copy = Json::parse(r.out)["copies"][0];
  EXPECT_EQ(copy["status"], "revoked");
  EXPECT_EQ(copy["version"], 1);
  EXPECT_EQ(Json::parse(Run({"status", "--json"}).out)["copies_revoked"], 1);
  ASSERT_EQ(Run({"sync"}).exit_code, 0);
  Json cline = Json::parse(ReadFile(ClineFile()));
  EXPECT_EQ(cline["providers"]["openrouter"]["settings"]["apiKey"], next);
  ExpectNoFullKey({openrouter_, next});
}

}  // namespace
}  // namespace keywarden::testing
