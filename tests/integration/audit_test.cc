// security.md D4 with group commit: the get events of concurrent requests
// share one transaction, and a secret still leaves the daemon only after its
// own event is committed (fsynced too with audit.sync_before_reply; within a
// second after by default).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "integration/provider_fixture.h"
#include "keywarden/client.h"

namespace keywarden::testing {
namespace {

class AuditTest : public ProviderTest {
 protected:
  void AddVerified(const std::string& key, const Json& config_extra = Json::object()) {
    Start({{{"key", key}, {"provider", "deepseek"}}}, config_extra);
    CliResult added =
        Run({"add", "dev/d", "--provider", "deepseek", "--models", "deepseek-chat", "--wait"}, key);
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }

  // `clients` connections at once, `gets` slot.get calls each; returns how
  // many answered exactly `key`, and sets *failed to how many failed.
  int ConcurrentGets(int clients, int gets, const std::string& key, int* failed) {
    std::atomic<int> ok = 0, bad = 0;
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&] {
        Result<Client> client = Client::Connect(daemon_.socket());
        if (!client) return (void)(bad += gets);
        for (int i = 0; i < gets; ++i) {
          Result<SecretBuffer> secret =
              client->CallForSecret("slot.get", {{"ref", "dev/d"}}, nullptr);
          if (secret && secret->view() == key) {
            ++ok;
          } else {
            ++bad;
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    *failed = bad;
    return ok;
  }

  int GetEvents() {
    Result<Client> client = Client::Connect(daemon_.socket());
    EXPECT_TRUE(client.has_value());
    if (!client) return -1;
    Result<Json> events = client->Call("events.list", {{"ref", "dev/d"}});
    EXPECT_TRUE(events.has_value());
    if (!events) return -1;
    std::vector<Json> list = (*events)["events"].get<std::vector<Json>>();
    return static_cast<int>(std::count_if(list.begin(), list.end(),
                                          [](const Json& e) { return e["action"] == "get"; }));
  }

  // Runs SQL on the daemon's database beside the running daemon (WAL).
  bool Sql(const std::string& sql) {
    return RunProgram("/bin/sh", {"-c", "sqlite3 \"$0\" \"$1\"",
                                  (daemon_.home() / "keywarden.db").string(), sql})
               .exit_code == 0;
  }
};

TEST_F(AuditTest, ConcurrentGetsRecordExactlyOneEventEach) {
  std::string key = FakeKey("deepseek");
  AddVerified(key);
  int failed = 0;
  EXPECT_EQ(ConcurrentGets(16, 25, key, &failed), 400);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(GetEvents(), 400);
}

TEST_F(AuditTest, WithSyncBeforeReplyConcurrentGetsRecordExactlyOneEventEach) {
  std::string key = FakeKey("deepseek");
  AddVerified(key, {{"audit", {{"sync_before_reply", true}}}});
  int failed = 0;
  EXPECT_EQ(ConcurrentGets(8, 25, key, &failed), 200);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(GetEvents(), 200);
}

// By default a get's event is committed before the reply without an fsync,
// and the daemon syncs the log within a second: a passive checkpoint, which
// copies the log into the database file. So the database file alone, without
// its -wal, holds the event shortly after.
TEST_F(AuditTest, GetEventsReachTheDatabaseFileWithinASecond) {
  if (RunProgram("/bin/sh", {"-c", "command -v sqlite3"}).exit_code != 0) {
    GTEST_SKIP() << "needs the sqlite3 program";
  }
  std::string key = FakeKey("deepseek");
  AddVerified(key);
  CliResult got = Run({"get", "dev/d"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  // The timer is 1 s; allow a loaded machine ten times that.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string in_file;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    TempDir copy;
    std::filesystem::copy_file(daemon_.home() / "keywarden.db", copy.path() / "kw.db");
    in_file =
        RunProgram("/bin/sh", {"-c", "sqlite3 \"$0\" \"$1\"", (copy.path() / "kw.db").string(),
                               "SELECT COUNT(*) FROM events WHERE action = 'get'"})
            .out;
    if (in_file == "1\n") break;
  }
  EXPECT_EQ(in_file, "1\n");
}

TEST_F(AuditTest, WhenTheAuditLogCannotBeWrittenEveryGetFailsAndNoSecretLeaves) {
  if (RunProgram("/bin/sh", {"-c", "command -v sqlite3"}).exit_code != 0) {
    GTEST_SKIP() << "needs the sqlite3 program";
  }
  std::string key = FakeKey("deepseek");
  AddVerified(key);
  // From now on every get event fails to insert, as on a full disk: the
  // batch's transaction rolls back.
  ASSERT_TRUE(
      Sql("CREATE TRIGGER no_audit BEFORE INSERT ON events WHEN NEW.action = 'get' "
          "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END;"));
  int failed = 0;
  EXPECT_EQ(ConcurrentGets(8, 10, key, &failed), 0);
  EXPECT_EQ(failed, 80);
  CliResult got = Run({"get", "dev/d"});
  EXPECT_NE(got.exit_code, 0);
  EXPECT_EQ(got.out, "");
  EXPECT_NE(got.err.find("audit"), std::string::npos) << got.err;
  EXPECT_EQ(Run({"status"}).exit_code, 0);  // requests that send no secret still work
  EXPECT_EQ(GetEvents(), 0);

  ASSERT_TRUE(Sql("DROP TRIGGER no_audit;"));
  got = Run({"get", "dev/d"});
  EXPECT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, key);
  EXPECT_EQ(GetEvents(), 1);
}

}  // namespace
}  // namespace keywarden::testing
