// notify.command sees nothing of the daemon: only descriptors 0-2, whatever
// client and provider connections are open when it runs, in user and in
// system mode.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "integration/harness.h"
#include "support/fake_provider.h"
#include "support/process.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

// A notify command that lists its own descriptors on its stdout, which is
// the daemon's log. The shell itself runs `ls` without any redirection, so
// it holds nothing but what the daemon gave it.
Json ListingNotifyConfig() {
  return {{"notify",
           {{"command",
             {"/bin/sh", "-c", "echo listing-begin; ls -l /proc/$$/fd; echo listing-end"}}}}};
}

// The first listing in the daemon's log, waiting up to 20 s.
std::string WaitForListing(const std::function<std::string()>& log) {
  for (int i = 0; i < 200; ++i) {
    std::string text = log();
    size_t begin = text.find("listing-begin\n"), end = text.find("listing-end");
    if (begin != std::string::npos && end != std::string::npos && end > begin) {
      return text.substr(begin, end - begin);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

// The descriptor numbers in an `ls -l /proc/PID/fd` listing.
std::set<int> Descriptors(const std::string& listing) {
  std::set<int> fds;
  std::istringstream lines(listing);
  for (std::string line; std::getline(lines, line);) {
    size_t arrow = line.find(" -> ");
    if (arrow == std::string::npos) continue;
    size_t start = line.rfind(' ', arrow - 1);
    fds.insert(std::stoi(line.substr(start + 1, arrow - start - 1)));
  }
  return fds;
}

// With a client connection held open (a request half sent) and a provider
// connection kept alive by a first check, a key that fails its check makes
// the daemon run the notify command. `cli` runs the CLI against the daemon.
// Every descriptor of process `pid` above 2 is close-on-exec (the first
// line of defence; the notify child's close_range is the second).
void ExpectEveryDescriptorCloseOnExec(pid_t pid) {
  const fs::path proc = "/proc/" + std::to_string(pid);
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(proc / "fdinfo")) {
    int fd = std::stoi(entry.path().filename().string());
    if (fd <= 2) continue;
    std::string info = ReadFile(entry.path());
    size_t at = info.find("flags:");
    if (at == std::string::npos) continue;  // closed meanwhile
    unsigned long flags = std::stoul(info.substr(at + 6), nullptr, 8);
    std::error_code ec;
    EXPECT_TRUE(flags & 02000000) << "fd " << fd << " -> "
                                  << fs::read_symlink(proc / "fd" / std::to_string(fd), ec)
                                  << " is not close-on-exec";
    ++checked;
  }
  EXPECT_GT(checked, 3);
}

using CliFn = std::function<CliResult(std::vector<std::string>, std::string)>;
void ExpectOnlyStandardDescriptors(FakeProvider& fake, pid_t daemon, const fs::path& socket,
                                   const CliFn& cli, const std::function<std::string()>& log) {
  std::string good = FakeKey("deepseek");
  fake.AddKeys({{{"key", good}, {"provider", "deepseek"}}});
  CliResult added = cli(
      {"add", "dev/good", "--provider", "deepseek", "--models", "deepseek-chat", "--wait"}, good);
  ASSERT_EQ(added.exit_code, 0) << added.err;
  RawSocket waiting(socket);
  ASSERT_TRUE(waiting.connected());
  ASSERT_TRUE(waiting.Send(R"({"id":1,"method":"slot.add","params":{"ref":"dev/x","secret":")"));
  // A Codestral key on Mistral's general endpoint fails at once.
  std::string bad = FakeKey("mistral");
  fake.AddKeys({{{"key", bad}, {"provider", "mistral"}, {"mistral_kind", "codestral"}}});
  CliResult failed =
      cli({"add", "dev/bad", "--provider", "mistral", "--models", "codestral-2508", "--wait"}, bad);
  EXPECT_EQ(failed.exit_code, 3) << failed.err;
  std::string listing = WaitForListing(log);
  ASSERT_FALSE(listing.empty()) << "the notify command never ran; log:\n" << log();
  EXPECT_EQ(Descriptors(listing), (std::set<int>{0, 1, 2})) << listing;
  ExpectEveryDescriptorCloseOnExec(daemon);
}

TEST(NotifyCommandTest, GetsOnlyStandardDescriptorsInUserMode) {
  TempDir dir;
  FakeProvider fake;
  Daemon daemon(dir.path() / "home");
  fs::create_directories(daemon.home());
  WriteConfig(daemon.home(), fake.Config(ListingNotifyConfig()));
  std::string why;
  ASSERT_TRUE(daemon.Start({}, &why)) << why;
  ExpectOnlyStandardDescriptors(
      fake, daemon.pid(), daemon.socket(),
      [&](std::vector<std::string> args, std::string input) {
        return daemon.Cli(args, {.stdin_data = input});
      },
      [&] { return daemon.Log(); });
}

TEST(NotifyCommandTest, GetsOnlyStandardDescriptorsInSystemMode) {
  TempDir dir;
  fs::path home = dir.path() / "home";
  fs::path socket = dir.path() / "run" / "keywarden.sock";
  FakeProvider fake;
  WriteConfig(home, fake.Config(ListingNotifyConfig()));
  Background daemon(
      {KW_DAEMON_PATH, "--system", "--home", home.string(), "--socket", socket.string()}, {},
      dir.path() / "daemon.log");
  ASSERT_TRUE(WaitForStatus(socket, std::chrono::seconds(20)))
      << ReadFile(dir.path() / "daemon.log");
  ExpectOnlyStandardDescriptors(
      fake, daemon.pid(), socket,
      [&](std::vector<std::string> args, std::string input) {
        return RunProgram(
            KW_CLI_PATH, args,
            {.stdin_data = input, .extra_env = {"KEYWARDEN_SOCKET=" + socket.string()}});
      },
      [&] { return ReadFile(dir.path() / "daemon.log"); });
}

}  // namespace
}  // namespace keywarden::testing
