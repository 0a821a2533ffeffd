// No acknowledged write is lost: 200 mixed operations through the real CLI
// while the daemon is killed with SIGKILL at random moments and restarted.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "integration/harness.h"
#include "support/fake_provider.h"

namespace keywarden::testing {
namespace {

// What the CLI acknowledged. An operation that failed (the daemon died) may
// or may not have been applied; an acknowledged one must be there.
struct Model {
  std::map<std::string, std::vector<std::string>> versions;  // ref -> acked keys, in order
  std::map<std::string, std::set<std::string>> revoked;      // ref -> masks of acked revocations
  std::map<std::string, std::set<std::string>> attempted;    // ref -> every key ever sent
};

std::string Last4(const std::string& s) { return s.substr(s.size() - 4); }

TEST(CrashTest, AcknowledgedOperationsSurviveSigkill) {
  TempDir dir;
  Daemon daemon(dir.path() / "home");
  FakeProvider fake;
  WriteConfig(daemon.home(), fake.Config());
  std::string why;
  ASSERT_TRUE(daemon.Start({}, &why)) << why;

  std::mutex daemon_mu;  // Start/Kill happen on the killer thread
  std::atomic<bool> done = false;
  std::atomic<int> kills = 0;
  std::thread killer([&] {
    std::mt19937 rng(42);
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 150));
      std::lock_guard lock(daemon_mu);
      if (done) break;
      daemon.Kill();
      ++kills;
      std::string ignored;
      daemon.Start({}, &ignored);
    }
  });

  Model model;
  std::mt19937 rng(7);
  std::vector<std::string> gets_seen;
  int acked = 0;
  // Enough acknowledged operations to mean something, however slow the
  // machine (a sanitizer build starts the daemon several times slower): at
  // least 200 operations, then on until 60 are acknowledged, within bounds.
  const auto started = std::chrono::steady_clock::now();
  for (int op = 0;
       op < 200 || (acked < 60 && op < 1000 &&
                    std::chrono::steady_clock::now() - started < std::chrono::seconds(150));
       ++op) {
    std::string ref = "dev/s" + std::to_string(rng() % 12);
    int kind = static_cast<int>(rng() % 4);
    bool exists = model.versions.count(ref) > 0;
    if (!exists) {
      std::string key = FakeKey("deepseek");
      fake.AddKeys({{{"key", key}, {"provider", "deepseek"}}});
      model.attempted[ref].insert(key);
      CliResult r = daemon.Cli({"add", ref, "--provider", "deepseek", "--models", "deepseek-chat"},
                               {.stdin_data = key});
      if (r.exit_code == 0) {
        model.versions[ref] = {key};
        ++acked;
      }
    } else if (kind == 1) {
      std::string key = FakeKey("deepseek");
      fake.AddKeys({{{"key", key}, {"provider", "deepseek"}}});
      model.attempted[ref].insert(key);
      CliResult r = daemon.Cli({"rotate", ref}, {.stdin_data = key});
      if (r.exit_code == 0) {
        model.versions[ref].push_back(key);
        ++acked;
      }
    } else if (kind == 2) {
      CliResult shown = daemon.Cli({"show", ref, "--json"});
      if (shown.exit_code != 0) continue;
      Json slot = Json::parse(shown.out);
      const Json& newest = slot["versions"].back();
      CliResult r = daemon.Cli(
          {"revoke", ref, "--yes", "--version", std::to_string(newest["version"].get<int>())});
      if (r.exit_code == 0) {
        model.revoked[ref].insert(Last4(newest["fingerprint"]));
        ++acked;
      }
    } else {
      CliResult r = daemon.Cli({"get", ref});
      if (r.exit_code == 0) {
        ++acked;
        EXPECT_TRUE(model.attempted[ref].count(r.out)) << "get returned a key never sent";
      }
    }
  }
  done = true;
  killer.join();
  EXPECT_GT(kills.load(), 3);
  // Under a sanitizer on a busy machine the time bound can end the run
  // short of 60; 30 acknowledged operations across several kills still
  // prove the point.
  EXPECT_GT(acked, 30);

  daemon.Kill();
  ASSERT_TRUE(daemon.Start({}, &why)) << why;
  for (const auto& [ref, keys] : model.versions) {
    CliResult shown = daemon.Cli({"show", ref, "--json"});
    ASSERT_EQ(shown.exit_code, 0) << ref << " was acknowledged but is gone";
    Json slot = Json::parse(shown.out);
    // Every acknowledged key is a version, in the order acknowledged
    // (unacknowledged ones that were applied may sit in between).
    size_t next = 0;
    for (const Json& v : slot["versions"]) {
      std::string last4 = Last4(v["fingerprint"]);
      if (next < keys.size() && last4 == Last4(keys[next])) ++next;
      if (model.revoked[ref].count(last4)) {
        EXPECT_EQ(v["state"], "revoked") << ref;
      }
    }
    EXPECT_EQ(next, keys.size()) << ref << ": an acknowledged version is missing";
  }
  daemon.Stop();
  CliResult check = RunProgram(
      "/usr/bin/sqlite3", {(daemon.home() / "keywarden.db").string(), "PRAGMA integrity_check"});
  EXPECT_EQ(check.out, "ok\n") << check.err;
}

TEST(CrashTest, PendingChecksResumeAfterSigkill) {
  TempDir dir;
  Daemon daemon(dir.path() / "home");
  std::vector<Json> keys;
  std::vector<std::string> secrets;
  for (int i = 0; i < 5; ++i) {
    secrets.push_back(FakeKey("deepseek"));
    keys.push_back({{"key", secrets.back()}, {"provider", "deepseek"}, {"latency_ms", 400}});
  }
  FakeProvider fake(Json{{"keys", keys}});
  WriteConfig(daemon.home(), fake.Config());
  std::string why;
  ASSERT_TRUE(daemon.Start({}, &why)) << why;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(daemon
                  .Cli({"add", "dev/k" + std::to_string(i), "--provider", "deepseek", "--models",
                        "deepseek-chat"},
                       {.stdin_data = secrets[i]})
                  .exit_code,
              0);
  }
  daemon.Kill();  // in the middle of the checks
  ASSERT_TRUE(daemon.Start({}, &why)) << why;
  for (int i = 0; i < 5; ++i) {
    CliResult r = daemon.Cli({"validate", "dev/k" + std::to_string(i), "--wait"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
}

}  // namespace
}  // namespace keywarden::testing
