// System mode with real uids: one daemon, two users who each see only
// their own slots, root who sees all; and process hygiene checked from
// outside: a daemon running as a plain uid is not dumpable.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <thread>

#include "integration/harness.h"
#include "integration/system_daemon.h"
#include "support/fake_provider.h"
#include "support/process.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kUserA = 65534;  // nobody
constexpr uid_t kUserB = 64123;  // no passwd entry: a bare uid is enough

class SystemdSystemModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as other uids";
    daemon_ = std::make_unique<SystemDaemon>(OfflineConfig());
    ASSERT_TRUE(daemon_->started()) << daemon_->log();
  }

  CliResult As(std::optional<uid_t> uid, std::vector<std::string> args, std::string input = "") {
    return daemon_->As(uid, args, input);
  }

  CliResult Add(std::optional<uid_t> uid, const std::string& ref) {
    return As(uid, {"add", ref, "--provider", "openrouter", "--models", "deepseek/deepseek-chat"},
              FakeKey("openrouter"));
  }

  static std::vector<std::string> Refs(const CliResult& listed) {
    std::vector<std::string> refs;
    for (const Json& slot : Json::parse(listed.out)) refs.push_back(slot["ref"]);
    return refs;
  }

  std::unique_ptr<SystemDaemon> daemon_;
};

TEST_F(SystemdSystemModeTest, EachUidSeesOnlyItsOwnSlotsAndRootSeesAll) {
  ASSERT_EQ(Add(kUserA, "dev/alpha").exit_code, 0);
  ASSERT_EQ(Add(kUserB, "dev/beta").exit_code, 0);

  CliResult a = As(kUserA, {"list", "--json"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(Refs(a), std::vector<std::string>{"dev/alpha"});
  CliResult b = As(kUserB, {"list", "--json"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(Refs(b), std::vector<std::string>{"dev/beta"});

  // Another user's slot does not exist, whatever the verb.
  for (std::string verb : {"show", "get", "rm", "validate"}) {
    std::vector<std::string> args = {verb, "dev/alpha"};
    if (verb == "rm") args.push_back("--yes");
    CliResult r = As(kUserB, args);
    EXPECT_EQ(r.exit_code, 4) << verb << ": " << r.out << r.err;
  }
  CliResult root = As(std::nullopt, {"list", "--json"});
  ASSERT_EQ(root.exit_code, 0) << root.err;
  EXPECT_EQ(Refs(root), (std::vector<std::string>{"dev/alpha", "dev/beta"}));
  EXPECT_EQ(As(kUserA, {"show", "dev/alpha"}).exit_code, 0);
}

TEST_F(SystemdSystemModeTest, OnlyAdminsMaySealOrRekey) {
  std::string before = ReadFile(daemon_->home() / "master.key");
  for (std::string verb : {"seal", "rekey"}) {
    CliResult r = As(kUserA, {verb});
    EXPECT_EQ(r.exit_code, 1) << verb;
    EXPECT_NE(r.err.find("only root and members of keywarden-admin"), std::string::npos) << r.err;
  }
  EXPECT_EQ(ReadFile(daemon_->home() / "master.key"), before);
  CliResult rekey = As(std::nullopt, {"rekey"});
  EXPECT_EQ(rekey.exit_code, 0) << rekey.err;
  EXPECT_NE(ReadFile(daemon_->home() / "master.key"), before);
}

// The owner of /proc/PID/environ: proc(5) gives a non-dumpable process's
// files (not the directory itself) to root.
uid_t ProcOwner(pid_t pid) {
  struct stat st{};
  if (::stat(("/proc/" + std::to_string(pid) + "/environ").c_str(), &st) != 0) return -1;
  return st.st_uid;
}

TEST(SystemdHygieneTest, DaemonAsAPlainUidIsNotDumpableAndHasNoCoreLimit) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the daemon as another uid";
  TempDir dir;
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::others_exec);
  const fs::path home = dir.path() / "home";
  WriteConfig(home, OfflineConfig());
  ASSERT_EQ(::chown(home.c_str(), kUserA, kUserA), 0);
  ASSERT_EQ(::chown((home / "config.json").c_str(), kUserA, kUserA), 0);
  // System mode, so that root (this test) may ask it for its status.
  Background daemon({KW_DAEMON_PATH, "--system", "--home", home.string()}, {},
                    dir.path() / "daemon.log", kUserA);
  ASSERT_TRUE(WaitForStatus(home / "keywarden.sock", std::chrono::seconds(20)))
      << ReadFile(dir.path() / "daemon.log");

  // Control: any other process of that uid is dumpable and owns its files.
  Background sleeper({"/bin/sleep", "30"}, {}, "/dev/null", kUserA);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(ProcOwner(sleeper.pid()), kUserA);

  EXPECT_EQ(ProcOwner(daemon.pid()), 0u) << "PR_SET_DUMPABLE 0 hands /proc/PID to root";
  CliResult peek = RunProgram("/bin/cat", {"/proc/" + std::to_string(daemon.pid()) + "/environ"},
                              {.uid = kUserA});
  EXPECT_NE(peek.exit_code, 0);
  EXPECT_NE(peek.err.find("Permission denied"), std::string::npos) << peek.err;
  std::string limits = ReadFile("/proc/" + std::to_string(daemon.pid()) + "/limits");
  EXPECT_TRUE(std::regex_search(limits, std::regex("Max core file size +0 +0 "))) << limits;
}

}  // namespace
}  // namespace keywarden::testing
