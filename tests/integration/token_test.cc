// The gateway's tokens through the real daemon and CLI: token add prints
// the text once, list shows the scope and never the text, rm asks first;
// names, envs and expiry are checked; a sealed vault refuses; another uid
// neither sees nor removes a token; the text is nowhere on disk or in the
// log; and `export --via gateway` writes the gateway's URL and a token.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <thread>

#include "integration/export_fixture.h"
#include "integration/harness.h"
#include "integration/system_daemon.h"
#include "support/fake_provider.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

// kwt_ and 256 bits in base64url without padding.
const std::regex kTokenText("kwt_[A-Za-z0-9_-]{43}");

// Every byte of every file under `dir` (the database, its WAL, the log).
std::string EveryFile(const fs::path& dir) {
  std::string all;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), {});
  }
  return all;
}

// A loopback port nobody listens on now.
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class TokenTest : public ::testing::Test {
 protected:
  void Start(const Json& config_extra = Json::object()) {
    fake_ = std::make_unique<FakeProvider>(Json{{"keys", Json::array()}});
    WriteConfig(daemon_.home(), fake_->Config(config_extra));
    std::string why;
    ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  }
  CliResult Cli(const std::vector<std::string>& args) { return daemon_.Cli(args); }
  Json ListJson() {
    CliResult r = Cli({"token", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }

  TempDir dir_;
  Daemon daemon_{dir_.path() / "home"};
  std::unique_ptr<FakeProvider> fake_;
};

TEST_F(TokenTest, AddPrintsTheTokenOnceAndListShowsItsScopeNeverItsText) {
  Start();
  CliResult added =
      Cli({"token", "add", "ci", "--env", "dev", "--slots", "dev/openrouter,mistral"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  ASSERT_FALSE(added.out.empty());
  const std::string token = added.out.substr(0, added.out.size() - 1);
  EXPECT_TRUE(std::regex_match(token, kTokenText)) << added.out;
  EXPECT_EQ(added.out.back(), '\n');
  EXPECT_NE(added.err.find("shown only this once"), std::string::npos) << added.err;

  CliResult listed = Cli({"token", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out.find(token), std::string::npos);
  Json tokens = Json::parse(listed.out)["tokens"];
  ASSERT_EQ(tokens.size(), 1u) << listed.out;
  EXPECT_EQ(tokens[0]["name"], "ci");
  EXPECT_EQ(tokens[0]["env"], "dev");
  EXPECT_EQ(tokens[0]["slots"], (Json{"openrouter", "mistral"}));
  EXPECT_EQ(tokens[0]["expires_at"], nullptr);
  EXPECT_EQ(tokens[0]["expired"], false);
  EXPECT_FALSE(tokens[0].contains("hash"));

  CliResult table = Cli({"token", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("dev/openrouter,dev/mistral"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("never"), std::string::npos) << table.out;

  // Each add makes a new text, even for the same scope.
  CliResult second = Cli({"token", "add", "ci2", "--env", "dev", "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  Json object = Json::parse(second.out);
  EXPECT_TRUE(std::regex_match(object["token"].get<std::string>(), kTokenText));
  EXPECT_NE(object["token"], token);
  EXPECT_EQ(object["name"], "ci2");
  EXPECT_EQ(object["slots"], Json::array());
}

TEST_F(TokenTest, ANameInUseABadNameAndASlotOfAnotherEnvAreRefused) {
  Start();
  ASSERT_EQ(Cli({"token", "add", "ci", "--env", "dev"}).exit_code, 0);
  CliResult again = Cli({"token", "add", "ci", "--env", "dev"});
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_NE(again.err.find("keywarden: error: token ci already exists"), std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find("keywarden: hint:"), std::string::npos) << again.err;
  EXPECT_EQ(again.out, "") << "no second text for the name";

  CliResult other_env = Cli({"token", "add", "x", "--env", "dev", "--slots", "prod/openrouter"});
  EXPECT_EQ(other_env.exit_code, 2) << other_env.err;
  EXPECT_NE(other_env.err.find("prod/openrouter is not of env dev"), std::string::npos)
      << other_env.err;

  CliResult bad_name = Cli({"token", "add", "Bad Name", "--env", "dev"});
  EXPECT_EQ(bad_name.exit_code, 2) << bad_name.err;
  CliResult bad_expiry = Cli({"token", "add", "y", "--env", "dev", "--expires", "soon"});
  EXPECT_EQ(bad_expiry.exit_code, 2) << bad_expiry.err;
  EXPECT_EQ(ListJson()["tokens"].size(), 1u) << "nothing refused was stored";
}

TEST_F(TokenTest, RemoveAsksFirstAndAMissingTokenIsNotFound) {
  Start();
  ASSERT_EQ(Cli({"token", "add", "ci", "--env", "dev"}).exit_code, 0);
  CliResult unconfirmed = Cli({"token", "rm", "ci"});
  EXPECT_EQ(unconfirmed.exit_code, 2) << "no terminal, no --yes: " << unconfirmed.err;
  EXPECT_NE(unconfirmed.err.find("--yes"), std::string::npos) << unconfirmed.err;
  EXPECT_EQ(ListJson()["tokens"].size(), 1u);

  CliResult removed = Cli({"token", "rm", "ci", "--yes"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.out, "removed token ci\n");
  EXPECT_EQ(ListJson()["tokens"].size(), 0u);
  CliResult missing = Cli({"token", "rm", "ci", "--yes"});
  EXPECT_EQ(missing.exit_code, 4) << missing.err;
  EXPECT_NE(missing.err.find("no token ci"), std::string::npos) << missing.err;
}

TEST_F(TokenTest, AnExpiredTokenIsListedAsExpired) {
  Start();
  ASSERT_EQ(Cli({"token", "add", "short", "--env", "dev", "--expires", "1s"}).exit_code, 0);
  ASSERT_EQ(Cli({"token", "add", "long", "--env", "dev", "--expires", "30d"}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  Json tokens = ListJson()["tokens"];
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0]["name"], "long");
  EXPECT_EQ(tokens[0]["expired"], false);
  EXPECT_TRUE(tokens[0]["expires_at"].is_string());
  EXPECT_EQ(tokens[1]["name"], "short");
  EXPECT_EQ(tokens[1]["expired"], true);
  EXPECT_NE(Cli({"token", "list"}).out.find("(expired)"), std::string::npos);
}

TEST_F(TokenTest, TheTextIsNeverStoredLoggedOrInAnEvent) {
  Start();
  CliResult added = Cli({"token", "add", "canary", "--env", "dev", "--expires", "1d"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string token = added.out.substr(0, added.out.size() - 1);
  ASSERT_EQ(Cli({"token", "list"}).exit_code, 0);
  ASSERT_EQ(Cli({"token", "rm", "canary", "--yes"}).exit_code, 0);

  CliResult events = Cli({"events", "--json"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  EXPECT_NE(events.out.find("token_added"), std::string::npos) << events.out;
  EXPECT_NE(events.out.find("token_removed"), std::string::npos) << events.out;
  EXPECT_EQ(events.out.find(token), std::string::npos);
  // The token's random part too, in case a prefix were stripped.
  const std::string random_part = token.substr(4);
  daemon_.Stop();
  const std::string disk = EveryFile(daemon_.home()) + daemon_.Log();
  EXPECT_EQ(disk.find(random_part), std::string::npos) << "the token's text reached the disk";
}

TEST_F(TokenTest, ASealedDaemonRefusesToAddATokenWithExitFive) {
  Start({{"unlock", "passphrase"}});
  CliResult r = Cli({"token", "add", "ci", "--env", "dev"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("sealed"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(TokenOwnershipTest, AnotherUidNeitherListsNorRemovesATokenAndMayUseItsName) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as other uids";
  constexpr uid_t kUserA = 65534;
  constexpr uid_t kUserB = 64123;
  SystemDaemon daemon(OfflineConfig());
  ASSERT_TRUE(daemon.started()) << daemon.log();
  CliResult a = daemon.As(kUserA, {"token", "add", "ci", "--env", "dev"});
  ASSERT_EQ(a.exit_code, 0) << a.err;

  CliResult b_list = daemon.As(kUserB, {"token", "list", "--json"});
  ASSERT_EQ(b_list.exit_code, 0) << b_list.err;
  EXPECT_EQ(Json::parse(b_list.out)["tokens"], Json::array());
  CliResult b_rm = daemon.As(kUserB, {"token", "rm", "ci", "--yes"});
  EXPECT_EQ(b_rm.exit_code, 4) << b_rm.err;
  // Names are per owner: B's own "ci" is no clash with A's.
  CliResult b_add = daemon.As(kUserB, {"token", "add", "ci", "--env", "dev"});
  EXPECT_EQ(b_add.exit_code, 0) << b_add.err;

  CliResult a_list = daemon.As(kUserA, {"token", "list", "--json"});
  ASSERT_EQ(a_list.exit_code, 0) << a_list.err;
  Json tokens = Json::parse(a_list.out)["tokens"];
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0]["owner"], kUserA);
}

class ExportViaGatewayTest : public ExportFixture {
 protected:
  // The daemon with a gateway on a free loopback port; false when this
  // build's daemon has no gateway (its config knows no "gateway" section,
  // or its status no gateway_url): the test is then skipped.
  bool StartWithGateway() {
    port_ = FreePort();
    fake_ = std::make_unique<FakeProvider>(
        Json{{"keys", {{{"key", openrouter_}, {"provider", "openrouter"}}}}});
    WriteConfig(daemon_.home(),
                fake_->Config({{"gateway", {{"listen", "127.0.0.1:" + std::to_string(port_)}}}}));
    std::string why;
    if (!daemon_.Start({}, &why)) {
      EXPECT_NE(why.find("gateway: unknown field"), std::string::npos) << why;
      return false;
    }
    AddVerified("dev/openrouter", "openrouter", "deepseek/deepseek-chat", openrouter_);
    CliResult status = daemon_.Cli({"status", "--json"});
    return Json::parse(status.out, nullptr, false)["gateway_url"].is_string();
  }
  int port_ = 0;
};

TEST_F(ExportViaGatewayTest, WithoutAGatewayItExitsThreeNamingTheSetting) {
  fake_ = std::make_unique<FakeProvider>(
      Json{{"keys", {{{"key", openrouter_}, {"provider", "openrouter"}}}}});
  WriteConfig(daemon_.home(), fake_->Config());
  std::string why;
  ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  AddVerified("dev/openrouter", "openrouter", "deepseek/deepseek-chat", openrouter_);
  CliResult r = Export("dev/openrouter", "cline", {"--via", "gateway"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("gateway.listen"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(home() / ".cline")) << "nothing written";
  CliResult tokens = daemon_.Cli({"token", "list", "--json"});
  EXPECT_EQ(Json::parse(tokens.out)["tokens"], Json::array()) << "no token made";

  CliResult bad_via = Export("dev/openrouter", "cline", {"--via", "proxy"});
  EXPECT_EQ(bad_via.exit_code, 2) << bad_via.err;
  CliResult token_alone = Export("dev/openrouter", "cline", {"--token", "x"});
  EXPECT_EQ(token_alone.exit_code, 2) << token_alone.err;
}

TEST_F(ExportViaGatewayTest, ClineAndDotenvGetTheGatewayUrlAndATokenNeverTheKey) {
  if (!StartWithGateway()) GTEST_SKIP() << "this daemon runs no gateway";
  const std::string base = "http://127.0.0.1:" + std::to_string(port_) + "/p/openrouter/default";

  CliResult cline = Export("dev/openrouter", "cline", {"--via", "gateway"});
  ASSERT_EQ(cline.exit_code, 0) << cline.err;
  const fs::path cline_file = home() / ".cline/data/settings/providers.json";
  const std::string cline_text = ReadFile(cline_file);
  EXPECT_EQ(cline_text.find(openrouter_), std::string::npos) << "the key stays in the daemon";
  Json settings = Json::parse(cline_text)["providers"]["openrouter"]["settings"];
  EXPECT_EQ(settings["baseUrl"], base);
  EXPECT_TRUE(std::regex_match(settings["apiKey"].get<std::string>(), kTokenText));

  const fs::path env_file = dir_.path() / "project" / ".env";
  CliResult dotenv = Export("dev/openrouter", "dotenv",
                            {"--via", "gateway", "--token", "project", "--path", env_file});
  ASSERT_EQ(dotenv.exit_code, 0) << dotenv.err;
  const std::string env_text = ReadFile(env_file);
  EXPECT_NE(env_text.find("OPENROUTER_BASE_URL=" + base + "\n"), std::string::npos) << env_text;
  std::smatch token;
  ASSERT_TRUE(std::regex_search(env_text, token, std::regex("OPENROUTER_API_KEY=(kwt_\\S+)")))
      << env_text;
  EXPECT_NE(token[1].str(), settings["apiKey"].get<std::string>()) << "a token per export";

  Json tokens = Json::parse(daemon_.Cli({"token", "list", "--json"}).out)["tokens"];
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0]["name"], "cline-dev");
  EXPECT_EQ(tokens[0]["slots"], Json{"openrouter"});
  EXPECT_EQ(tokens[1]["name"], "project");

  // The default name is taken now: a second export says how to go on and
  // changes nothing.
  CliResult again = Export("dev/openrouter", "cline", {"--via", "gateway"});
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_NE(again.err.find("--token"), std::string::npos) << again.err;
  EXPECT_EQ(ReadFile(cline_file), cline_text);
}

}  // namespace
}  // namespace keywarden::testing
