// What keywardend refuses at start, with an error naming the file: a second
// daemon on a live socket, a FIFO where a file belongs, a database that lost
// its data key, and config.json input it would otherwise misread.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "integration/harness.h"
#include "support/fake_provider.h"
#include "support/process.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

// A daemon run that must end by itself within 20 s; exit_code is -1 if it
// had to be killed (it hung), err holds its log.
CliResult RunDaemonBounded(const fs::path& home, std::vector<std::string> extra_args = {},
                           std::vector<std::string> env = {}) {
  std::vector<std::string> argv = {KW_DAEMON_PATH, "--home", home.string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  fs::path log = home.parent_path() / (home.filename().string() + "-run.log");
  fs::remove(log);
  Background daemon(argv, env, log);
  CliResult result;
  for (int i = 0; i < 200; ++i) {
    std::ifstream stat("/proc/" + std::to_string(daemon.pid()) + "/stat");
    std::string pid, comm, state;
    if (!(stat >> pid >> comm >> state) || state == "Z") {
      result.exit_code = daemon.Wait();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (result.exit_code == -1) daemon.Signal(SIGKILL);
  result.err = ReadFile(log);
  return result;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A home whose daemon once stored one slot, then was stopped.
void StoreOneSlot(const fs::path& home) {
  Daemon daemon(home);
  fs::create_directories(home);
  WriteConfig(home, OfflineConfig());
  std::string why;
  ASSERT_TRUE(daemon.Start({}, &why)) << why;
  CliResult added = daemon.Cli({"add", "dev/k", "--provider", "mistral", "--models", "m"},
                               {.stdin_data = FakeKey("mistral")});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  daemon.Stop();
}

std::string Sql(const fs::path& db, const std::string& sql) {
  return RunProgram("/bin/sh", {"-c", "sqlite3 \"$0\" \"$1\"", db.string(), sql}).out;
}

// keywardend's own usage errors exit 2, as the CLI's do; --help and
// --version exit 0.
TEST(DaemonUsageTest, AUsageErrorExits2) {
  TempDir dir;
  const std::string home = (dir.path() / "home").string();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--bogus"}, {"--idle-timeout", "0"}, {"--max-connections"}}) {
    std::vector<std::string> argv = {"--home", home};
    argv.insert(argv.end(), args.begin(), args.end());
    CliResult r = RunProgram(KW_DAEMON_PATH, argv);
    EXPECT_EQ(r.exit_code, 2) << args.front() << "\n" << r.err;
    EXPECT_FALSE(r.err.empty()) << args.front();
  }
  EXPECT_EQ(RunProgram(KW_DAEMON_PATH, {"--version"}).exit_code, 0);
  EXPECT_EQ(RunProgram(KW_DAEMON_PATH, {"--help"}).exit_code, 0);
}

TEST(SocketGuardTest, SecondDaemonOnALiveSocketIsRefusedAndLeavesItAlone) {
  TempDir dir;
  Daemon first(dir.path() / "one");
  std::string why;
  ASSERT_TRUE(first.Start({}, &why)) << why;
  struct stat before{};
  ASSERT_EQ(::stat(first.socket().c_str(), &before), 0);

  fs::path other = dir.path() / "two";
  fs::create_directories(other);
  CliResult second = RunDaemonBounded(other, {"--socket", first.socket().string()});
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_TRUE(Contains(second.err, first.socket().string())) << second.err;
  EXPECT_TRUE(Contains(second.err, "another keywardend already runs on socket")) << second.err;

  struct stat after{};
  ASSERT_EQ(::stat(first.socket().c_str(), &after), 0) << "the live socket was unlinked";
  EXPECT_EQ(after.st_ino, before.st_ino);
  CliResult status = first.Cli({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
}

TEST(SocketGuardTest, SocketOfAKilledDaemonIsReplaced) {
  TempDir dir;
  Daemon first(dir.path() / "one");
  std::string why;
  ASSERT_TRUE(first.Start({}, &why)) << why;
  first.Kill();
  ASSERT_TRUE(fs::exists(first.socket()));
  fs::path other = dir.path() / "two";
  fs::create_directories(other);
  Background second({KW_DAEMON_PATH, "--home", other.string(), "--socket", first.socket().string()},
                    {}, dir.path() / "two.log");
  EXPECT_TRUE(WaitForStatus(first.socket(), std::chrono::seconds(20)))
      << ReadFile(dir.path() / "two.log");
}

class FifoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(home_);
    WriteConfig(home_, OfflineConfig());
  }
  void ExpectRefused(const fs::path& fifo, const std::vector<std::string>& env = {}) {
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    CliResult run = RunDaemonBounded(home_, {}, env);
    EXPECT_EQ(run.exit_code, 1) << "-1: it hung on the FIFO\n" << run.err;
    EXPECT_TRUE(Contains(run.err, fifo.string() + " is a FIFO, not a regular file")) << run.err;
  }

  TempDir dir_;
  fs::path home_ = dir_.path() / "home";
};

TEST_F(FifoTest, MasterKeyFifoIsRefusedWithoutHanging) { ExpectRefused(home_ / "master.key"); }

TEST_F(FifoTest, CredentialFifoIsRefusedWithoutHanging) {
  fs::path creds = dir_.path() / "creds";
  fs::create_directories(creds);
  ExpectRefused(creds / "master.key", {"CREDENTIALS_DIRECTORY=" + creds.string()});
}

TEST_F(FifoTest, ConfigFifoIsRefusedWithoutHanging) {
  fs::remove(home_ / "config.json");
  ExpectRefused(home_ / "config.json");
}

TEST_F(FifoTest, CaFileFifoIsRefusedWithoutHanging) {
  Json config = OfflineConfig();
  config["validation"]["ca_file"] = "ca.pem";
  WriteConfig(home_, config);
  ExpectRefused(home_ / "ca.pem");
}

TEST(LostStoreTest, EmptiedDatabaseIsRefusedNotReinitialised) {
  TempDir dir;
  fs::path home = dir.path() / "home";
  StoreOneSlot(home);
  std::string key = ReadFile(home / "master.key");
  fs::resize_file(home / "keywarden.db", 0);
  CliResult run = RunDaemonBounded(home);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(Contains(run.err, (home / "keywarden.db").string() + " is empty")) << run.err;
  EXPECT_TRUE(Contains(run.err, "Backup and restore")) << run.err;
  EXPECT_EQ(fs::file_size(home / "keywarden.db"), 0u);
  EXPECT_EQ(ReadFile(home / "master.key"), key);
}

TEST(LostStoreTest, DeletedDataKeyIsRefusedNotReplaced) {
  TempDir dir;
  fs::path home = dir.path() / "home";
  StoreOneSlot(home);
  fs::path db = home / "keywarden.db";
  ASSERT_EQ(Sql(db, "DELETE FROM data_keys; SELECT count(*) FROM data_keys;"), "0\n");
  CliResult run = RunDaemonBounded(home);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(Contains(
      run.err, db.string() + " has lost its data key: it holds 1 slot(s) and 1 key version(s)"))
      << run.err;
  EXPECT_EQ(Sql(db, "SELECT count(*) FROM data_keys;"), "0\n") << "a new data key was created";
}

TEST(LostStoreTest, MasterKeyWithoutItsDatabaseIsRefused) {
  TempDir dir;
  fs::path home = dir.path() / "home";
  StoreOneSlot(home);
  for (const char* file : {"keywarden.db", "keywarden.db-wal", "keywarden.db-shm"}) {
    fs::remove(home / file);
  }
  CliResult run = RunDaemonBounded(home);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(Contains(run.err, (home / "master.key").string() + " exists but")) << run.err;
  EXPECT_TRUE(Contains(run.err, "holds no data key")) << run.err;
}

TEST(LostStoreTest, FreshHomeWithAProvidedMasterKeyStarts) {
  TempDir dir;
  fs::path home = dir.path() / "home", creds = dir.path() / "creds";
  fs::create_directories(home);
  fs::create_directories(creds);
  WriteConfig(home, OfflineConfig());
  std::ofstream(creds / "master.key") << std::string(32, 'k');
  fs::permissions(creds / "master.key", fs::perms::owner_read | fs::perms::owner_write);
  Daemon daemon(home);
  std::string why;
  ASSERT_TRUE(daemon.Start({}, &why, {"CREDENTIALS_DIRECTORY=" + creds.string()})) << why;
  EXPECT_EQ(daemon
                .Cli({"add", "dev/k", "--provider", "mistral", "--models", "m"},
                     {.stdin_data = FakeKey("mistral")})
                .exit_code,
            0);
}

TEST(ConfigCheckTest, DaemonRefusesDuplicateKeysAndABadCaFileAtStart) {
  TempDir dir;
  fs::path home = dir.path() / "home";
  fs::create_directories(home);
  std::ofstream(home / "config.json") << R"({"validation": {"timeout": "5s", "timeout": "1h"}})";
  CliResult duplicate = RunDaemonBounded(home);
  EXPECT_EQ(duplicate.exit_code, 1);
  EXPECT_TRUE(Contains(duplicate.err, "validation.timeout: duplicate key")) << duplicate.err;

  std::ofstream(home / "ca.pem") << "not a certificate\n";
  std::ofstream(home / "config.json", std::ios::trunc)
      << R"({"validation": {"ca_file": "ca.pem"}})";
  CliResult bad_ca = RunDaemonBounded(home);
  EXPECT_EQ(bad_ca.exit_code, 1);
  EXPECT_TRUE(Contains(bad_ca.err, (home / "ca.pem").string() + " holds no PEM certificate"))
      << bad_ca.err;
}

}  // namespace
}  // namespace keywarden::testing
