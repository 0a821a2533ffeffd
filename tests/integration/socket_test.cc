// Hostile and broken clients on the real socket: the daemon answers with an
// error where it can, closes where it must, and keeps serving everyone else.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "integration/fake_provider.h"
#include "integration/harness.h"
#include "keywarden/client.h"
#include "keywarden/protocol.h"

namespace keywarden::testing {
namespace {

// A raw connection, for sending what the real client never would.
class RawSocket {
 public:
  explicit RawSocket(const std::filesystem::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path.c_str());
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawSocket() { ::close(fd_); }
  bool connected() const { return connected_; }

  bool Send(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // One line, or "" on close or after 5 s.
  std::string ReadLine() {
    std::string line;
    char c;
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, 5000) > 0 && ::recv(fd_, &c, 1, 0) == 1) {
      if (c == '\n') return line;
      line.push_back(c);
    }
    return line;
  }

  // True if the peer closed the connection (EOF) within 5 s.
  bool Closed() {
    char c;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    return ::recv(fd_, &c, 1, 0) <= 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

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
  for (const std::string& bad : {std::string("hello"), std::string("{\"v\":1"), std::string("[]"),
                                 std::string("{\"v\":2,\"id\":1,\"method\":\"status\"}"),
                                 std::string("{\"v\":1,\"id\":1}"),
                                 std::string("{\"v\":1,\"id\":1,\"method\":\"nope\"}"),
                                 std::string(100, '[')}) {
    ASSERT_TRUE(s.Send(bad + "\n"));
    Json error = ErrorOf(s.ReadLine());
    EXPECT_EQ(error["code"], "protocol") << bad;
  }
  ASSERT_TRUE(s.Send(R"({"v":1,"id":"x","method":"status"})" "\n"));
  Json reply = Json::parse(s.ReadLine());
  EXPECT_EQ(reply["ok"], true);
  EXPECT_EQ(reply["id"], "x");
  EXPECT_TRUE(StatusAnswers());
}

TEST_F(SocketTest, WrongVersionNamesBothVersions) {
  RawSocket s(daemon_.socket());
  ASSERT_TRUE(s.Send(R"({"v":9,"id":3,"method":"status"})" "\n"));
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
  CliResult events = daemon_.Cli({"events", "--json"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  EXPECT_NE(events.out.find("denied_connection"), std::string::npos);
  EXPECT_NE(events.out.find("65534"), std::string::npos);
}

}  // namespace
}  // namespace keywarden::testing
