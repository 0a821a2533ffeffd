// Hostile and broken clients on the real socket: the daemon answers with an
// error where it can, closes where it must, and keeps serving everyone else.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "integration/harness.h"
#include "keywarden/client.h"
#include "keywarden/json_text.h"
#include "keywarden/protocol.h"
#include "support/fake_provider.h"

namespace keywarden::testing {
namespace {

Json ErrorOf(const std::string& line) {
  Json reply = Json::parse(line, nullptr, false);
  EXPECT_FALSE(reply.is_discarded()) << line;
  EXPECT_EQ(reply["ok"], false) << line;
  return reply["error"];
}

class SocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteConfig(daemon_.home(), OfflineConfig());
    std::string why;
    ASSERT_TRUE(daemon_.Start({"--idle-timeout", "30"}, &why)) << why;
  }
  bool StatusAnswers() { return daemon_.Cli({"status"}).exit_code == 0; }

  TempDir dir_;
  Daemon daemon_{dir_.path() / "home"};
};

TEST_F(SocketTest, GarbageGetsAnErrorReplyAndTheConnectionStaysUsable) {
  RawSocket s(daemon_.socket());
  ASSERT_TRUE(s.connected());
  for (const std::string& bad :
       {std::string("hello"), std::string("{\"v\":1"), std::string("[]"),
        std::string("{\"v\":2,\"id\":1,\"method\":\"status\"}"), std::string("{\"v\":1,\"id\":1}"),
        std::string("{\"v\":1,\"id\":1,\"method\":\"nope\"}"), std::string(100, '[')}) {
    ASSERT_TRUE(s.Send(bad + "\n"));
    Json error = ErrorOf(s.ReadLine());
    EXPECT_EQ(error["code"], "protocol") << bad;
  }
  ASSERT_TRUE(s.Send(R"({"v":1,"id":"x","method":"status"})"
                     "\n"));
  Json reply = Json::parse(s.ReadLine());
  EXPECT_EQ(reply["ok"], true);
  EXPECT_EQ(reply["id"], "x");
  EXPECT_TRUE(StatusAnswers());
}

TEST_F(SocketTest, WrongVersionNamesBothVersions) {
  RawSocket s(daemon_.socket());
  ASSERT_TRUE(s.Send(R"({"v":9,"id":3,"method":"status"})"
                     "\n"));
  Json reply = Json::parse(s.ReadLine());
  EXPECT_EQ(reply["id"], 3);
  EXPECT_NE(reply["error"]["message"].get<std::string>().find("9"), std::string::npos);
}

TEST_F(SocketTest, OneMebibyteLineGetsAnErrorAndACloseWhileOthersAreServed) {
  RawSocket s(daemon_.socket());
  std::string huge(1 << 20, 'a');
  s.Send(huge + "\n");  // the daemon may close before reading it all
  std::string line = s.ReadLine();
  ASSERT_FALSE(line.empty());
  EXPECT_NE(ErrorOf(line)["message"].get<std::string>().find("longer than"), std::string::npos);
  EXPECT_TRUE(s.Closed());
  EXPECT_TRUE(StatusAnswers());
}

TEST_F(SocketTest, AListAbandonedPartWayLeavesTheDaemonServingWholeLists) {
  // 650 slots: slot.list comes in pieces of 200, produced off the loop.
  Result<Client> client = Client::Connect(daemon_.socket());
  ASSERT_TRUE(client) << client.error().message;
  constexpr int kSlots = 650;
  for (int i = 0; i < kSlots; ++i) {
    Result<Json> added = client->Call("slot.add", {{"ref", fmt::format("dev/s{:04}", i)},
                                                   {"provider", "deepseek"},
                                                   {"models", {"deepseek-chat"}},
                                                   {"secret", FakeKey("deepseek")}});
    ASSERT_TRUE(added) << added.error().message;
  }
  const std::string list = R"({"v":1,"id":1,"method":"slot.list"})"
                           "\n";
  for (int round = 0; round < 3; ++round) {
    // Readers that leave after the first bytes, or without reading at all.
    RawSocket quitter(daemon_.socket());
    ASSERT_TRUE(quitter.Send(list));
    RawSocket silent(daemon_.socket());
    ASSERT_TRUE(silent.Send(list));
    std::string some;
    while (some.size() < 1000 && quitter.Drain(&some)) {
    }
  }
  // Meanwhile and afterwards whole lists come back right, in order.
  JsonIndenter indenter;
  std::string text, indented;
  Status listed =
      client->CallForText("slot.list", Json::object(), "slots", [&](std::string_view piece) {
        const size_t taken = indenter.Feed(piece, indented);
        text.append(piece.substr(0, taken));
        return taken;
      });
  ASSERT_TRUE(listed) << listed.error().message;
  Json slots = Json::parse(text);
  ASSERT_EQ(slots.size(), static_cast<size_t>(kSlots));
  for (int i = 0; i < kSlots; ++i) EXPECT_EQ(slots[i]["ref"], fmt::format("dev/s{:04}", i));
  CliResult cli = daemon_.Cli({"list", "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(Json::parse(cli.out).size(), static_cast<size_t>(kSlots));
  EXPECT_TRUE(StatusAnswers());
  // A list maps the database file for its walk; once every list is over,
  // finished or abandoned, nothing of it stays mapped.
  // (The WAL index, keywarden.db-shm, is mapped for good.)
  const std::string maps = "/proc/" + std::to_string(daemon_.pid()) + "/maps";
  const auto mapped = [&maps] {
    return ReadFile(maps).find("/keywarden.db\n") != std::string::npos;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (mapped() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(mapped()) << ReadFile(maps);
}

TEST_F(SocketTest, TwoHundredIdleConnectionsLeaveStatusAnswering) {
  std::vector<std::unique_ptr<RawSocket>> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(std::make_unique<RawSocket>(daemon_.socket()));
    ASSERT_TRUE(idle.back()->connected());
    if (i % 2) idle.back()->Send("{\"v\":1,");  // half of them trickle a partial line
  }
  EXPECT_TRUE(StatusAnswers());
}

TEST_F(SocketTest, ConnectionCapEvictsTheLongestIdle) {
  daemon_.Stop();
  std::string why;
  ASSERT_TRUE(daemon_.Start({"--max-connections", "8"}, &why)) << why;
  std::vector<std::unique_ptr<RawSocket>> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(std::make_unique<RawSocket>(daemon_.socket()));
  EXPECT_TRUE(StatusAnswers());
  EXPECT_TRUE(idle.front()->Closed());
}

TEST_F(SocketTest, IdleConnectionsAreClosed) {
  daemon_.Stop();
  std::string why;
  ASSERT_TRUE(daemon_.Start({"--idle-timeout", "1"}, &why)) << why;
  RawSocket s(daemon_.socket());
  ASSERT_TRUE(s.connected());
  EXPECT_TRUE(s.Closed());
}

TEST_F(SocketTest, AnotherUidIsRefusedBeforeAnyByteIsRead) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another uid";
  // Open the path up so only SO_PEERCRED stands between nobody and the daemon.
  std::filesystem::permissions(dir_.path(), std::filesystem::perms::all);
  std::filesystem::permissions(daemon_.home(), std::filesystem::perms::all);
  ::chmod(daemon_.socket().c_str(), 0777);
  CliResult r = daemon_.Cli({"status"}, {.uid = 65534});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_NE(daemon_.Log().find("refused connection from another uid"), std::string::npos);
  // Refusals are counted for a minute, or until the daemon stops, before
  // they become an event.
  // (The home, opened up above, would not do for a second start.)
  daemon_.Stop();
  CliResult events = RunProgram("/usr/bin/sqlite3", {(daemon_.home() / "keywarden.db").string(),
                                                     "SELECT action, uid FROM events"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  EXPECT_NE(events.out.find("denied_connection|65534"), std::string::npos) << events.out;
}

}  // namespace
}  // namespace keywarden::testing
