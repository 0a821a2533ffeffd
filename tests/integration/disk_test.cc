// A full disk and a growing audit trail (docs/storage-format.md "The space
// reserve", docs/configuration.md "Event retention"): on a full disk a get
// fails closed while revoke and rm still commit, in the space the daemon
// reserved; old events are deleted and old gets folded per day; status
// shows the database's size and the reserve.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "keywarden/clock.h"
#include "keywarden/protocol.h"
#include "support/fake_provider.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kReserveBytes = 8 << 20;

// Writes `file` until the file system has no byte left for it.
void FillDisk(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const std::vector<char> chunk(1 << 20, 'f');
  for (size_t size : {size_t{1} << 20, size_t{4096}, size_t{1}}) {
    while (::write(fd, chunk.data(), size) > 0) {
    }
  }
  ::close(fd);
  struct statvfs fs{};
  ASSERT_EQ(::statvfs(file.parent_path().c_str(), &fs), 0);
  ASSERT_EQ(fs.f_bavail, 0u) << "the filler left space";
}

Json StatusJson(const Daemon& daemon) {
  CliResult r = daemon.Cli({"status", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return Json::parse(r.out, nullptr, false);
}

Json Events(const Daemon& daemon) {
  CliResult r = daemon.Cli({"events", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return Json::parse(r.out, nullptr, false);
}

// The first event with `action` on `ref`, or null.
Json FindEvent(const Json& events, const std::string& action, const std::string& ref) {
  if (!events.is_array()) return nullptr;
  for (const Json& e : events) {
    if (e["action"] == action && e["ref"] == ref) return e;
  }
  return nullptr;
}

// The daemon's home on a 32 MiB tmpfs of its own, which the test fills.
class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_point_ = dir_.path() / "disk";
    fs::create_directories(mount_point_);
    if (::mount("tmpfs", mount_point_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                "size=32m,mode=0700") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs to fill (" << std::strerror(errno)
                   << "): this test needs root with CAP_SYS_ADMIN";
    }
    mounted_ = true;
    fake_ = std::make_unique<FakeProvider>(Json{{"keys",
                                                 {{{"key", key_a_}, {"provider", "deepseek"}},
                                                  {{"key", key_b_}, {"provider", "deepseek"}},
                                                  {{"key", key_c_}, {"provider", "deepseek"}}}}});
    daemon_ = std::make_unique<Daemon>(mount_point_ / "home");
    WriteConfig(daemon_->home(), fake_->Config());
    StartDaemon();
  }

  void TearDown() override {
    daemon_.reset();  // stopped before its disk goes
    if (mounted_) ::umount2(mount_point_.c_str(), MNT_DETACH);
  }

  void StartDaemon() {
    std::string why;
    ASSERT_TRUE(daemon_->Start({}, &why)) << why;
  }

  void AddVerified(const std::string& ref, const std::string& key) {
    CliResult added =
        daemon_->Cli({"add", ref, "--provider", "deepseek", "--models", "deepseek-chat", "--wait"},
                     {.stdin_data = key});
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }

  fs::path filler() const { return mount_point_ / "filler"; }

  TempDir dir_;
  fs::path mount_point_;
  bool mounted_ = false;
  std::unique_ptr<FakeProvider> fake_;
  std::unique_ptr<Daemon> daemon_;
  const std::string key_a_ = FakeKey("deepseek");
  const std::string key_b_ = FakeKey("deepseek");
  const std::string key_c_ = FakeKey("deepseek");
};

TEST_F(FullDiskTest, GetFailsClosedButRevokeAndRmCommitInTheReserveAndSurviveARestart) {
  AddVerified("dev/a", key_a_);
  AddVerified("dev/b", key_b_);
  AddVerified("dev/c", key_c_);
  ASSERT_EQ(StatusJson(*daemon_)["reserve"]["state"], "held");
  // A fresh start leaves an empty write-ahead log: the first write after
  // the fill needs new blocks.
  daemon_->Stop();
  StartDaemon();
  FillDisk(filler());

  CliResult got = daemon_->Cli({"get", "dev/a"});
  EXPECT_NE(got.exit_code, 0);
  EXPECT_EQ(got.out, "");  // fails closed: no event, no secret
  EXPECT_NE(got.err.find("disk full"), std::string::npos) << got.err;

  CliResult revoked = daemon_->Cli({"revoke", "dev/a", "--yes"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err << daemon_->Log();
  got = daemon_->Cli({"get", "dev/a"});
  EXPECT_EQ(got.exit_code, 3) << got.err;  // not usable: revoked
  EXPECT_EQ(got.out, "");
  Json status = StatusJson(*daemon_);
  EXPECT_EQ(status["reserve"]["state"], "used") << status.dump();
  EXPECT_TRUE(status["reserve"]["used_at"].is_string()) << status.dump();

  // The reserve is made again at the next start, with space freed; then
  // the disk fills once more and rm needs it.
  daemon_->Stop();
  fs::remove(filler());
  StartDaemon();
  ASSERT_EQ(StatusJson(*daemon_)["reserve"]["state"], "held");
  daemon_->Stop();
  StartDaemon();
  FillDisk(filler());
  EXPECT_NE(daemon_->Cli({"get", "dev/c"}).exit_code, 0);
  CliResult removed = daemon_->Cli({"rm", "dev/b", "--yes"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err << daemon_->Log();
  EXPECT_EQ(StatusJson(*daemon_)["reserve"]["state"], "used");
  EXPECT_NE(daemon_->Log().find("released the space reserve"), std::string::npos) << daemon_->Log();

  // Nothing acknowledged is lost: after a restart with space again, dev/a
  // stays revoked, dev/b removed, dev/c served, and both events say the
  // reserve was used.
  daemon_->Stop();
  fs::remove(filler());
  StartDaemon();
  EXPECT_EQ(daemon_->Cli({"get", "dev/a"}).exit_code, 3);
  EXPECT_EQ(daemon_->Cli({"show", "dev/b"}).exit_code, 4);
  got = daemon_->Cli({"get", "dev/c"});
  EXPECT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, key_c_);
  Json events = Events(*daemon_);
  for (const auto& [action, ref] : {std::pair{"revoke", "dev/a"}, {"rm", "dev/b"}}) {
    Json e = FindEvent(events, action, ref);
    ASSERT_TRUE(e.is_object()) << action << " " << ref << ": " << events.dump();
    EXPECT_NE(e["detail"].get<std::string>().find("space reserve"), std::string::npos) << e.dump();
  }
  // No get was recorded for the failed ones, one for each that was served.
  int gets = 0;
  for (const Json& e : events) gets += e["action"] == "get" ? 1 : 0;
  EXPECT_EQ(gets, 1);
  EXPECT_EQ(StatusJson(*daemon_)["reserve"]["state"], "held");
}

// A daemon on a home in the ordinary temporary directory.
class StorageTest : public ::testing::Test {
 protected:
  Daemon& daemon() { return daemon_; }
  void Start() {
    std::string why;
    ASSERT_TRUE(daemon_.Start({}, &why)) << why;
  }

  // Runs SQL on the daemon's database (stopped, or beside it: WAL).
  void Sql(const std::string& sql) {
    CliResult r = RunProgram("/bin/sh", {"-c", "sqlite3 \"$0\" \"$1\"",
                                         (daemon_.home() / "keywarden.db").string(), sql});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  TempDir dir_;
  Daemon daemon_{dir_.path() / "home"};
};

TEST_F(StorageTest, StatusShowsTheDatabaseSizeAndTheReserve) {
  WriteConfig(daemon_.home(), OfflineConfig());
  Start();
  Json status = StatusJson(daemon_);
  const fs::path db = daemon_.home() / "keywarden.db";
  EXPECT_EQ(status["db_file_bytes"], static_cast<int64_t>(fs::file_size(db))) << status.dump();
  EXPECT_TRUE(status["db_wal_bytes"].is_number_integer()) << status.dump();
  EXPECT_EQ(status["db_bytes"].get<int64_t>(),
            status["db_file_bytes"].get<int64_t>() + status["db_wal_bytes"].get<int64_t>());
  EXPECT_GT(status["disk_free_bytes"].get<int64_t>(), 0);

  const Json& reserve = status["reserve"];
  const fs::path file = daemon_.home() / "keywarden.reserve";
  EXPECT_EQ(reserve["file"], file.string());
  EXPECT_EQ(reserve["state"], "held") << status.dump();
  EXPECT_EQ(reserve["size"], kReserveBytes);
  EXPECT_GE(reserve["bytes"].get<int64_t>(), kReserveBytes);
  struct stat st{};
  ASSERT_EQ(::lstat(file.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_GE(static_cast<int64_t>(st.st_blocks) * 512, kReserveBytes);  // allocated, not sparse

  CliResult text = daemon_.Cli({"status"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("space reserve"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("held, 8.0 MiB"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("MiB: file"), std::string::npos) << text.out;
}

TEST_F(StorageTest, OldEventsAreDeletedAndOldGetsFoldedPerDayAtStart) {
  if (RunProgram("/bin/sh", {"-c", "command -v sqlite3"}).exit_code != 0) {
    GTEST_SKIP() << "needs the sqlite3 program";
  }
  Json config = OfflineConfig();
  config["events"] = {{"keep", "30d"}, {"aggregate_gets_after", "7d"}};
  WriteConfig(daemon_.home(), config);
  Start();  // creates the database
  daemon_.Stop();

  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const int64_t day = 86400;
  // Noon of the day ten days ago, so that its gets share one UTC day.
  const int64_t ten_days_ago = (now - 10 * day) / day * day + day / 2;
  std::string sql = "BEGIN;";
  auto insert = [&](int64_t at, const std::string& action, int uid) {
    sql += "INSERT INTO events (at, uid, owner_uid, action, ref, version, fingerprint) VALUES (" +
           std::to_string(at) + ", " + std::to_string(uid) + ", 0, '" + action +
           "', 'dev/x', 1, 'kfp:00');";
  };
  insert(now - 40 * day, "add", 0);                                // older than keep: deleted
  insert(now - 40 * day, "get", 0);                                // deleted too
  for (int i = 0; i < 3; ++i) insert(ten_days_ago + i, "get", 0);  // folded: 3
  insert(ten_days_ago + 5, "get", 1000);                           // another uid: 1
  insert(ten_days_ago + 6, "revoke", 0);                           // kept as it is
  insert(now - 3600, "get", 0);                                    // recent: kept single
  Sql(sql + "COMMIT;");
  Start();

  // Retention runs on the scheduler's first tick after the start.
  Json events;
  for (int i = 0; i < 100; ++i) {
    events = Events(daemon_);
    if (events.is_array() && events.size() == 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(events.size(), 4u) << events.dump(1);
  const int64_t day_start = ten_days_ago / day * day;
  // Oldest first: the two daily rows at the day's start, the revoke, the recent get.
  std::vector<std::string> got;
  for (const Json& e : events) {
    got.push_back(e["action"].get<std::string>() + " uid " + std::to_string(e["uid"].get<int>()) +
                  " x" + std::to_string(e["count"].get<int>()) +
                  (e["aggregated"] == true ? " day" : ""));
  }
  std::sort(got.begin(), got.begin() + 2);
  EXPECT_EQ(got, (std::vector<std::string>{"get uid 0 x3 day", "get uid 1000 x1 day",
                                           "revoke uid 0 x1", "get uid 0 x1"}));
  EXPECT_EQ(events[0]["at"], FormatTime(day_start));

  CliResult text = daemon_.Cli({"events"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("3 times that day"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(FormatTime(day_start).substr(0, 10) + " (day)"), std::string::npos)
      << text.out;
  EXPECT_NE(daemon_.Log().find("applied the event retention"), std::string::npos);
}

}  // namespace
}  // namespace keywarden::testing
