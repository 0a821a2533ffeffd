// Clients that hold the daemon's output back: hundreds of connections that
// pipeline large lists and never read them must neither grow the daemon's
// memory nor slow another client's `get`; and a storm of connections
// refused for their uid must not stall the owner's requests behind one
// audit write each.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/fake_provider.h"
#include "integration/harness.h"
#include "keywarden/client.h"
#include "keywarden/protocol.h"

namespace keywarden::testing {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A field of /proc/<pid>/status in KiB (VmRSS, VmHWM), or -1.
long ProcStatusKib(pid_t pid, const std::string& field) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find(field + ":");
  if (at == std::string::npos) return -1;
  return std::strtol(status.c_str() + at + field.size() + 1, nullptr, 10);
}

// The CPU time `pid` has used, in clock ticks (utime + stime), or -1.
long CpuTicks(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  // After the command: state (field 3) ... utime (14), stime (15).
  const char* p = stat.c_str() + close + 2;
  long utime = 0, stime = 0;
  for (int field = 3; field <= 15 && *p; ++field) {
    if (field == 14) utime = std::strtol(p, nullptr, 10);
    if (field == 15) stime = std::strtol(p, nullptr, 10);
    p = std::strchr(p, ' ');
    if (!p) break;
    ++p;
  }
  return utime + stime;
}

// Raises this process's open-file limit (inherited by the daemon) to at
// least `wanted`; false if the hard limit is lower.
bool RaiseFileLimit(rlim_t wanted) {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return false;
  if (files.rlim_cur >= wanted) return true;
  if (files.rlim_max < wanted) return false;
  files.rlim_cur = wanted;
  return ::setrlimit(RLIMIT_NOFILE, &files) == 0;
}

// Runs `sql` on the daemon's database with the sqlite3 program.
void RunSql(const Daemon& daemon, const std::string& sql) {
  CliResult r = RunProgram("/usr/bin/sqlite3", {(daemon.home() / "keywarden.db").string()},
                           {.stdin_data = ".timeout 10000\n" + sql});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// ---------------------------------------------------------------------------
// Refused connections.

TEST(BackpressureTest, RefusedConnectionStormIsRecordedAsOneCountedEvent) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another uid";
  constexpr int kRefused = 3000;
  constexpr uid_t kStranger = 65534;  // nobody
  TempDir dir;
  Daemon daemon(dir.path() / "home");
  WriteConfig(daemon.home(), OfflineConfig());
  std::string why;
  ASSERT_TRUE(daemon.Start({}, &why)) << why;
  // Open the path up so only SO_PEERCRED stands between nobody and the daemon.
  std::filesystem::permissions(dir.path(), std::filesystem::perms::all);
  std::filesystem::permissions(daemon.home(), std::filesystem::perms::all);
  std::filesystem::permissions(daemon.socket(), std::filesystem::perms::all);

  // Another uid connects in a loop, as fast as the daemon takes it.
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strcpy(address.sun_path, daemon.socket().c_str());
  const auto storm_started = Clock::now();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(kStranger) != 0 || ::setuid(kStranger) != 0) {
      _exit(126);
    }
    for (int i = 0; i < kRefused; ++i) {
      const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        _exit(1);
      }
      ::close(fd);
    }
    _exit(0);
  }
  // The owner is served meanwhile.
  double slowest_status_s = 0;
  int statuses = 0;
  int status_failures = 0;
  for (;;) {
    const auto started = Clock::now();
    if (daemon.Cli({"status"}).exit_code != 0) ++status_failures;
    ++statuses;
    slowest_status_s = std::max(slowest_status_s, SecondsSince(started));
    int wstatus = 0;
    const pid_t done = ::waitpid(child, &wstatus, WNOHANG);
    if (done == child) {
      ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "the storm failed: " << wstatus;
      break;
    }
  }
  const double storm_s = SecondsSince(storm_started);
  // Accepted in order: once this is answered, every refused connect was taken.
  EXPECT_EQ(daemon.Cli({"status"}).exit_code, 0);
  std::cout << "[ refusals ] " << kRefused << " refused connects in " << storm_s << " s; "
            << statuses << " status calls meanwhile, the slowest " << slowest_status_s << " s\n";
  EXPECT_EQ(status_failures, 0);
  EXPECT_LT(slowest_status_s, 5) << "the owner's status during the storm";

  // Counts not yet recorded are recorded when the daemon stops.
  daemon.Stop();
  CliResult dumped = RunProgram(
      "/usr/bin/sqlite3",
      {"-json", (daemon.home() / "keywarden.db").string(),
       fmt::format("SELECT detail FROM events WHERE action = 'denied_connection' AND uid = {}",
                   kStranger)});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.err;
  Json events = Json::parse(dumped.out.empty() ? "[]" : dumped.out, nullptr, false);
  ASSERT_TRUE(events.is_array()) << dumped.out.substr(0, 200);
  // One event a minute for the uid, each with its count.
  EXPECT_GE(events.size(), 1u);
  EXPECT_LE(events.size(), 1 + static_cast<size_t>(storm_s / 60)) << dumped.out.substr(0, 500);
  long counted = 0;
  for (const Json& e : events) {
    const std::string detail = e["detail"].get<std::string>();
    counted += std::strtol(detail.c_str(), nullptr, 10);
    EXPECT_NE(detail.find("user mode accepts only uid"), std::string::npos) << detail;
  }
  EXPECT_EQ(counted, kRefused) << dumped.out.substr(0, 500);
  // And the log says so in a few lines, not one per connect.
  const std::string log = daemon.Log();
  size_t lines = 0;
  for (size_t at = log.find("refused connection"); at != std::string::npos;
       at = log.find("refused connection", at + 1)) {
    ++lines;
  }
  EXPECT_GE(lines, 1u);
  EXPECT_LE(lines, 2 * events.size()) << "log lines about refused connections";
  EXPECT_NE(log.find("count=" + std::to_string(kRefused)), std::string::npos)
      << log.substr(0, 2000);
}

}  // namespace
}  // namespace keywarden::testing
