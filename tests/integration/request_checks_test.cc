// What the daemon refuses in a request's params, through the real CLI and
// socket (issue 18 item 17); the handler's unit tests cover each rule.
#include <gtest/gtest.h>

#include "integration/harness.h"
#include "support/fake_provider.h"

namespace keywarden::testing {
namespace {

class RequestChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteConfig(daemon_.home(), OfflineConfig());
    std::string why;
    ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  }

  CliResult Add(const std::string& models) {
    return daemon_.Cli({"add", "dev/deepseek", "--provider", "deepseek", "--models", models},
                       {.stdin_data = "sk-" + std::string(32, 'a')});
  }

  TempDir dir_;
  Daemon daemon_{dir_.path() / "home"};
};

TEST_F(RequestChecksTest, CliAddRefusesDuplicateAndTooManyModels) {
  CliResult twice = Add("deepseek-chat,deepseek-reasoner,deepseek-chat");
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_NE(twice.err.find("model \"deepseek-chat\" is listed twice"), std::string::npos)
      << twice.err;

  std::string many;
  for (int i = 0; i < 2000; ++i) many += (i ? "," : "") + ("model-" + std::to_string(i));
  CliResult lots = Add(many);
  EXPECT_NE(lots.exit_code, 0);
  EXPECT_NE(lots.err.find("2000 models given, at most 64"), std::string::npos) << lots.err;
  EXPECT_EQ(daemon_.Cli({"show", "dev/deepseek"}).exit_code, 4) << "nothing was added";

  CliResult fine = Add("deepseek-chat,deepseek-reasoner");
  EXPECT_EQ(fine.exit_code, 0) << fine.err;
}

// Every verb of the CLI sends only params the daemon takes.
TEST_F(RequestChecksTest, CliVerbsSendNoUnknownParams) {
  ASSERT_EQ(Add("deepseek-chat").exit_code, 0);
  const std::vector<std::vector<std::string>> verbs = {
      {"status"},
      {"providers"},
      {"list"},
      {"list", "--env", "dev"},
      {"show", "dev/deepseek"},
      {"events", "dev/deepseek", "--since", "1h"},
      {"reminders"},
      {"validate", "dev/deepseek"},
      {"get", "dev/deepseek"},
      {"rollback", "dev/deepseek"},
      {"set", "dev/deepseek", "--models", "deepseek-chat,deepseek-reasoner", "--endpoint",
       "default", "--probe", "list", "--rotate-every", "30d", "--remind-before", "2d", "--grace",
       "1d"},
      {"set", "dev/deepseek", "--add-model", "deepseek-coder"},
      {"set", "dev/deepseek", "--drop-model", "deepseek-coder"}};
  for (const std::vector<std::string>& args : verbs) {
    CliResult r = daemon_.Cli(args);
    SCOPED_TRACE(args.front());
    EXPECT_EQ(r.err.find("unknown field"), std::string::npos) << r.err;
  }
  CliResult rotated =
      daemon_.Cli({"rotate", "dev/deepseek"}, {.stdin_data = "sk-" + std::string(32, 'b')});
  EXPECT_EQ(rotated.err.find("unknown field"), std::string::npos) << rotated.err;
  CliResult revoked = daemon_.Cli({"revoke", "dev/deepseek", "--yes", "--version", "2"});
  EXPECT_EQ(revoked.err.find("unknown field"), std::string::npos) << revoked.err;
  CliResult removed = daemon_.Cli({"rm", "dev/deepseek", "--yes"});
  EXPECT_EQ(removed.err.find("unknown field"), std::string::npos) << removed.err;
}

}  // namespace
}  // namespace keywarden::testing
