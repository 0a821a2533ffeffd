// keywardend under systemd, as far as a test can get without PID 1: the
// shipped units verify and score, sysusers/tmpfiles create what they say,
// sd_notify readiness, watchdog and stopping through a test NOTIFY_SOCKET,
// socket activation through systemd-socket-activate, per-user isolation in
// system mode with two real uids, and a non-dumpable process.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <regex>

#include "integration/harness.h"
#include "keywarden/client.h"
#include "support/fake_provider.h"
#include "support/process.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

// All from Debian's systemd package; no systemd as PID 1 is needed.
constexpr const char* kAnalyze = "/usr/bin/systemd-analyze";
constexpr const char* kSysusers = "/usr/bin/systemd-sysusers";
constexpr const char* kTmpfiles = "/usr/bin/systemd-tmpfiles";
constexpr const char* kActivate = "/usr/bin/systemd-socket-activate";

#define ASSERT_TOOL(path) \
  ASSERT_TRUE(fs::exists(path)) << path << " is missing: install Debian's systemd package"

// The unit templates of systemd/ filled in for this build, so that
// ExecStart= names a binary that exists.
void WriteUnits(const fs::path& dir) {
  const fs::path source = fs::path(KW_SOURCE_DIR) / "systemd";
  const std::string sbindir = fs::path(KW_DAEMON_PATH).parent_path().string();
  for (const char* name : {"keywardend.service", "user/keywardend.service"}) {
    std::string text = ReadFile(source / (std::string(name) + ".in"));
    text = std::regex_replace(text, std::regex("@KEYWARDEN_SBINDIR@"), sbindir);
    text = std::regex_replace(text, std::regex("@KEYWARDEN_DOCDIR@"), KW_SOURCE_DIR "/docs");
    fs::create_directories((dir / name).parent_path());
    std::ofstream(dir / name) << text;
  }
  fs::copy_file(source / "keywardend.socket", dir / "keywardend.socket");
  fs::copy_file(source / "user/keywardend.socket", dir / "user/keywardend.socket");
}

TEST(SystemdTest, UnitsVerifyCleanly) {
  ASSERT_TOOL(kAnalyze);
  TempDir dir;
  WriteUnits(dir.path());
  CliResult system =
      RunProgram(kAnalyze, {"verify", "--man=no", (dir.path() / "keywardend.service").string(),
                            (dir.path() / "keywardend.socket").string()});
  EXPECT_EQ(system.exit_code, 0) << system.out << system.err;
  EXPECT_EQ(system.out + system.err, "");
  // A user manager needs a runtime directory, even offline.
  fs::create_directories(dir.path() / "runtime");
  CliResult user =
      RunProgram(kAnalyze,
                 {"--user", "verify", "--man=no", (dir.path() / "user/keywardend.service").string(),
                  (dir.path() / "user/keywardend.socket").string()},
                 {.extra_env = {"XDG_RUNTIME_DIR=" + (dir.path() / "runtime").string()}});
  EXPECT_EQ(user.exit_code, 0) << user.out << user.err;
  EXPECT_EQ(user.out + user.err, "");
}

TEST(SystemdTest, SystemServiceExposureIsAtMostOnePointFive) {
  ASSERT_TOOL(kAnalyze);
  TempDir dir;
  WriteUnits(dir.path());
  const std::string unit = (dir.path() / "keywardend.service").string();
  // --threshold is ten times the printed score: 15 means 1.5.
  CliResult r = RunProgram(kAnalyze, {"security", "--offline=true", "--threshold=15", unit});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::smatch score;
  ASSERT_TRUE(std::regex_search(r.out, score,
                                std::regex("exposure level for keywardend.service: ([0-9.]+)")))
      << r.out;
  EXPECT_LE(std::stod(score[1]), 1.5) << r.out;
  // PrivateUsers= would lower the score and break isolation: every client
  // uid would read as nobody through SO_PEERCRED.
  EXPECT_EQ(ReadFile(unit).find("\nPrivateUsers="), std::string::npos);
}

TEST(SystemdTest, SysusersAndTmpfilesCreateTheUserAndPrivateDirectories) {
  ASSERT_TOOL(kSysusers);
  TempDir root;
  const fs::path source = fs::path(KW_SOURCE_DIR) / "systemd";
  fs::create_directories(root.path() / "etc");
  fs::create_directories(root.path() / "usr/lib/sysusers.d");
  fs::create_directories(root.path() / "usr/lib/tmpfiles.d");
  fs::copy_file(source / "keywarden.sysusers.conf",
                root.path() / "usr/lib/sysusers.d/keywarden.conf");
  fs::copy_file(source / "keywarden.tmpfiles.conf",
                root.path() / "usr/lib/tmpfiles.d/keywarden.conf");
  // The same commands as the .deb's postinst, against a scratch root.
  const std::string at = "--root=" + root.path().string();
  CliResult users = RunProgram(kSysusers, {at, "keywarden.conf"});
  ASSERT_EQ(users.exit_code, 0) << users.err;
  std::string passwd = ReadFile(root.path() / "etc/passwd");
  std::smatch user;
  ASSERT_TRUE(std::regex_search(
      passwd, user, std::regex("keywarden:x:([0-9]+):([0-9]+):[^:]*:/var/lib/keywarden:")))
      << passwd;
  std::string group = ReadFile(root.path() / "etc/group");
  EXPECT_NE(group.find("keywarden-admin:x:"), std::string::npos) << group;
  EXPECT_NE(group.find("\nkeywarden:x:" + user[2].str()), std::string::npos) << group;

  CliResult dirs = RunProgram(kTmpfiles, {"--create", at, "keywarden.conf"});
  ASSERT_EQ(dirs.exit_code, 0) << dirs.err;
  struct stat st{};
  ASSERT_EQ(::stat((root.path() / "var/lib/keywarden").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, static_cast<uid_t>(std::stoul(user[1])));
}

// A datagram socket standing in for systemd's notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) std::abort();
  }
  ~NotifySocket() { ::close(fd_); }

  // The next datagram, or "" after `timeout`.
  std::string Next(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
    char buffer[4096];
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  }
  // Waits up to `timeout` for a datagram containing `line`.
  bool WaitFor(const std::string& line, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string message = Next(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (("\n" + message + "\n").find("\n" + line + "\n") != std::string::npos) return true;
    }
    return false;
  }
  std::string env() const { return "NOTIFY_SOCKET=" + path_.string(); }

 private:
  fs::path path_;
  int fd_ = -1;
};

TEST(SystemdTest, NotifiesReadyOnlyWhenListeningThenWatchdogThenStopping) {
  TempDir dir;
  const fs::path home = dir.path() / "home";
  WriteConfig(home, OfflineConfig());
  NotifySocket notify(dir.path() / "notify");
  Background daemon({KW_DAEMON_PATH, "--home", home.string()},
                    {notify.env(), "WATCHDOG_USEC=200000"}, home / "daemon.log");
  ASSERT_TRUE(notify.WaitFor("READY=1", std::chrono::seconds(20))) << ReadFile(home / "daemon.log");
  // Ready means ready: the first connection after READY=1 is answered.
  Result<Client> client = Client::Connect(home / "keywarden.sock", std::chrono::seconds(5));
  ASSERT_TRUE(client) << client.error().message;
  EXPECT_TRUE(client->Call("status"));
  // WatchdogSec/2 = 100 ms: the event loop pings about ten times a second.
  int pings = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < until) {
    if (notify.Next(std::chrono::milliseconds(300)) == "WATCHDOG=1") ++pings;
  }
  EXPECT_GE(pings, 5);
  daemon.Signal(SIGTERM);
  EXPECT_TRUE(notify.WaitFor("STOPPING=1", std::chrono::seconds(10)));
  EXPECT_EQ(daemon.Wait(), 0) << ReadFile(home / "daemon.log");
}

TEST(SystemdTest, SocketActivationServesOnThePassedSocket) {
  ASSERT_TOOL(kActivate);
  TempDir dir;
  const fs::path home = dir.path() / "home";
  WriteConfig(home, OfflineConfig());
  const fs::path socket = dir.path() / "activation.sock";
  Background activator({kActivate, "-l", socket.string(), KW_DAEMON_PATH, "--home", home.string()},
                       {}, dir.path() / "daemon.log");
  ASSERT_TRUE(WaitForStatus(socket, std::chrono::seconds(20)))
      << ReadFile(dir.path() / "daemon.log");
  Result<Client> client = Client::Connect(socket);
  ASSERT_TRUE(client);
  Result<Json> status = client->Call("status");
  ASSERT_TRUE(status) << status.error().message;
  // systemd-socket-activate execs the daemon in place: same pid.
  EXPECT_EQ((*status)["pid"], activator.pid());
  EXPECT_NE(ReadFile(dir.path() / "daemon.log").find("socket_activated=yes"), std::string::npos);
  EXPECT_FALSE(fs::exists(home / "keywarden.sock")) << "no socket of its own";
}

}  // namespace
}  // namespace keywarden::testing
