// The CLI against hostile or broken surroundings: a socket that answers
// well-formed replies of the wrong shape, a socket served by another user,
// a kill in the middle of an export, export targets that are FIFOs or
// symlinks; and the CLI's own process hygiene seen from outside (not
// dumpable, no core file).
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <regex>
#include <thread>

#include "integration/harness.h"
#include "keywarden/protocol.h"

namespace keywarden::testing {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kServerUid = 65534;  // nobody
constexpr uid_t kClientUid = 64123;  // no passwd entry: a bare uid is enough

// A listening Unix socket at `path`, world-connectable; -1 on failure.
int Listen(const fs::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(fd, 16) != 0 || ::chmod(path.c_str(), 0777) != 0) {
    return -1;
  }
  return fd;
}

// A stand-in for keywardend in this process (so served by root, whom the
// CLI trusts): answers each request line with `result(method)` as its
// result, the request's id echoed.
class FakeDaemon {
 public:
  FakeDaemon(fs::path socket, std::function<Json(const std::string& method)> result)
      : socket_(std::move(socket)), result_(std::move(result)) {
    listener_ = Listen(socket_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeDaemon() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  bool listening() const { return listener_ >= 0; }
  int connections() const { return connections_; }

 private:
  void Serve() {
    std::vector<int> clients;
    std::vector<std::string> pending;
    while (!stop_) {
      std::vector<pollfd> fds = {{listener_, POLLIN, 0}};
      for (int c : clients) fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          clients.push_back(c);
          pending.emplace_back();
          ++connections_;
        }
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        char buffer[4096];
        ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
        if (n <= 0) {
          ::close(fds[i].fd);
          clients[i - 1] = -1;
          continue;
        }
        std::string& line = pending[i - 1];
        line.append(buffer, static_cast<size_t>(n));
        for (size_t newline; (newline = line.find('\n')) != std::string::npos;) {
          Json request = Json::parse(line.substr(0, newline), nullptr, false);
          line.erase(0, newline + 1);
          Json reply = {{"v", 1},
                        {"id", request.value("id", Json())},
                        {"ok", true},
                        {"result", result_(request.value("method", ""))}};
          std::string text = reply.dump() + "\n";
          [[maybe_unused]] ssize_t w = ::write(fds[i].fd, text.data(), text.size());
        }
      }
      for (size_t i = clients.size(); i-- > 0;) {
        if (clients[i] < 0) {
          clients.erase(clients.begin() + static_cast<long>(i));
          pending.erase(pending.begin() + static_cast<long>(i));
        }
      }
    }
    for (int c : clients) ::close(c);
  }

  fs::path socket_;
  std::function<Json(const std::string&)> result_;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// What slot.get answers for a usable openrouter slot.
Json GetResult(const std::string& secret) {
  return {{"secret", secret},
          {"ref", "dev/openrouter"},
          {"version", 1},
          {"provider", "openrouter"},
          {"endpoint", "default"},
          {"base_url", "https://openrouter.ai/api/v1"},
          {"env_var", "OPENROUTER_API_KEY"},
          {"models", {"deepseek/deepseek-chat"}}};
}

class CliHardeningTest : public ::testing::Test {
 protected:
  fs::path socket() const { return dir_.path() / "fake.sock"; }
  CliResult Cli(std::vector<std::string> args, const RunOptions& options = {}) {
    args.insert(args.begin(),
                {"--home", (dir_.path() / "home").string(), "--socket", socket().string()});
    return RunProgram(KW_CLI_PATH, args, options);
  }

  TempDir dir_;
};

// Every verb, each given what it reads: a key on stdin for add, rotate,
// check and unlock.
struct Verb {
  std::vector<std::string> args;
  std::string input;
};
const std::vector<Verb>& EveryVerb() {
  static const std::vector<Verb> kVerbs = {
      {{"add", "dev/x", "--provider", "openrouter", "--models", "m"},
       "sk-or-v1-" + std::string(64, 'a')},
      {{"rotate", "dev/x"}, "sk-or-v1-" + std::string(64, 'b')},
      {{"check", "--provider", "openrouter", "--models", "m"}, "sk-or-v1-" + std::string(64, 'c')},
      {{"get", "dev/x"}, ""},
      {{"list"}, ""},
      {{"list", "--json"}, ""},
      {{"show", "dev/x"}, ""},
      {{"rm", "dev/x", "--yes"}, ""},
      {{"status"}, ""},
      {{"providers"}, ""},
      {{"events"}, ""},
      {{"validate", "dev/x"}, ""},
      {{"validate", "dev/x", "--wait"}, ""},
      {{"rollback", "dev/x"}, ""},
      {{"set", "dev/x", "--grace", "1d"}, ""},
      {{"revoke", "dev/x", "--yes"}, ""},
      {{"reminders"}, ""},
      {{"unlock"}, "a passphrase"},
      {{"seal"}, ""},
      {{"rekey"}, ""},
      {{"export", "dev/x", "--to", "dotenv", "--path", "/nonexistent/never-written.env"}, ""},
      {{"exec", "dev/x", "--", "/bin/true"}, ""},
  };
  return kVerbs;
}

// A reply of the right envelope whose result has the wrong shape (before
// the fix, nlohmann::json::type_error aborted the CLI): every member of
// another type, then a result that is no object at all.
TEST_F(CliHardeningTest, MistypedRepliesToEveryVerbAreAnUnexpectedReplyNotACrash) {
  const Json mistyped = {{"slot", "x"},   {"slots", "x"},         {"version", "x"},
                         {"events", 5},   {"providers", 5},       {"reminders", 5},
                         {"removed", 5},  {"secret", 5},          {"verdict", 5},
                         {"base_url", 5}, {"billed_probes", "x"}, {"master_key", 5},
                         {"file", 5},     {"created", "x"},       {"sealed", "x"},
                         {"ref", 5},      {"warnings", 5}};
  for (const Json& result : {mistyped, Json(42), Json::array({1, 2})}) {
    FakeDaemon fake(socket(), [&](const std::string&) { return result; });
    ASSERT_TRUE(fake.listening());
    for (const Verb& verb : EveryVerb()) {
      CliResult r = Cli(verb.args, {.stdin_data = verb.input});
      const std::string what =
          verb.args.front() + " " + verb.args.back() + " given " + result.dump();
      EXPECT_EQ(r.exit_code, 1) << what << "\n" << r.out << r.err;
      EXPECT_NE(r.err.find("keywarden: error: unexpected reply from the daemon"), std::string::npos)
          << what << "\n"
          << r.err;
      EXPECT_EQ(r.err.find("terminate"), std::string::npos) << what << "\n" << r.err;
    }
    fs::remove(socket());
  }
}

// The verbs that decode their reply name the first member not of its
// method's shape, so that a user (or a bug report) can tell what the
// socket's server sent.
TEST_F(CliHardeningTest, AnUnexpectedReplyNamesTheMemberNotOfItsShape) {
  struct Case {
    std::vector<std::string> args;
    std::string input;
    Json result;
    std::string detail;
  };
  // A slot object of the documented shape (docs/protocol.md), then with one
  // member deep inside it of another type.
  const Json slot = Json::parse(R"({
    "ref": "dev/x", "env": "dev", "name": "x", "provider": "openrouter", "endpoint": "default",
    "models": ["m"], "probe": "complete", "usable": false, "state": "pending",
    "current_version": null, "pending_version": 1,
    "rotation": {"rotate_every": 7776000, "remind_before": 604800, "grace": 604800},
    "rotation_due_at": null, "reminder_due": false, "owner_uid": 1000,
    "created_at": "2026-11-01T10:00:00Z", "diagnoses": [],
    "versions": [{"version": 1, "state": "pending", "fingerprint": "sk-…",
                  "created_at": "2026-11-01T10:00:00Z", "verified_at": null,
                  "next_check_at": null, "billed_probes": 0, "checks": [], "diagnoses": []}]})");
  Json bad_state = slot;
  bad_state["versions"][0]["state"] = 7;
  const std::vector<Case> cases = {
      {{"show", "dev/x"}, "", {{"slot", "x"}}, "(result.slot: expected an object)"},
      {{"show", "dev/x"}, "", Json(42), "(result: expected an object)"},
      {{"status"}, "", {{"version", "0.1.0"}}, "(result.protocol: expected a version number)"},
      {{"rm", "dev/x", "--yes"}, "", {{"removed", 5}}, "(result.removed: expected a string)"},
      {{"events"}, "", {{"events", 5}}, "(result.events: expected an array)"},
      {{"list"}, "", {{"slots", {slot, 3}}}, "(result.slots[1]: expected an object)"},
      {{"show", "dev/x"},
       "",
       {{"slot", bad_state}},
       "(result.slot.versions[0].state: expected a string)"},
      {{"rotate", "dev/x"},
       "sk-or-v1-" + std::string(64, 'b'),
       {{"slot", slot}, {"version", 0}, {"warnings", Json::array()}},
       "(result.version: expected a version number)"},
      {{"add", "dev/x", "--provider", "openrouter", "--models", "m"},
       "sk-or-v1-" + std::string(64, 'a'),
       {{"slot", slot}, {"warnings", {{{"code", "c"}}}}},
       "(result.warnings[0].message: expected a string)"},
      {{"reminders"},
       "",
       {{"reminders", {{{"ref", "dev/x"}}}}},
       "(result.reminders[0].owner_uid: expected a uid)"},
      {{"seal"}, "", {{"sealed", "x"}}, "(result.sealed: expected true or false)"},
  };
  for (const Case& c : cases) {
    FakeDaemon fake(socket(), [&](const std::string&) { return c.result; });
    ASSERT_TRUE(fake.listening());
    CliResult r = Cli(c.args, {.stdin_data = c.input});
    EXPECT_EQ(r.exit_code, 1) << c.args.front() << "\n" << r.err;
    EXPECT_NE(r.err.find("keywarden: error: unexpected reply from the daemon " + c.detail),
              std::string::npos)
        << c.args.front() << " given " << c.result.dump() << "\n"
        << r.err;
    fs::remove(socket());
  }
}

// /proc/PID/environ of a process that is not dumpable belongs to root, not
// to the process's uid (proc(5)).
uid_t ProcOwner(pid_t pid) {
  struct stat st{};
  if (::stat(("/proc/" + std::to_string(pid) + "/environ").c_str(), &st) != 0) return -1;
  return st.st_uid;
}

// A CLI as a plain uid, blocked reading the key for `add` from a pipe that
// stays open: another process of that uid could read its memory, and a
// crash would write a core file, unless it made itself undumpable.
TEST_F(CliHardeningTest, CliWaitingForAKeyIsNotDumpableAndWritesNoCore) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the CLI as another uid";
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0711), 0);
  FakeDaemon fake(socket(), [](const std::string&) { return Json::object(); });
  ASSERT_TRUE(fake.listening());
  int in[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  std::string cli = KW_CLI_PATH, home = (dir_.path() / "home").string();
  std::string sock = socket().string();
  std::vector<char*> argv = {cli.data(),
                             const_cast<char*>("--home"),
                             home.data(),
                             const_cast<char*>("--socket"),
                             sock.data(),
                             const_cast<char*>("add"),
                             const_cast<char*>("dev/x"),
                             const_cast<char*>("--provider"),
                             const_cast<char*>("openrouter"),
                             const_cast<char*>("--models"),
                             const_cast<char*>("m"),
                             nullptr};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::close_range(3, ~0U, 0);
    // A core file limit to lower: the test's own may be 0 already.
    rlimit core{RLIM_INFINITY, RLIM_INFINITY};
    ::setrlimit(RLIMIT_CORE, &core);
    if (::setgroups(0, nullptr) != 0 || ::setgid(kServerUid) != 0 || ::setuid(kServerUid) != 0) {
      _exit(126);
    }
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(in[0]);
  // Connected means main has run; the key is read after connecting.
  for (int i = 0; i < 2000 && fake.connections() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(fake.connections(), 1);
  EXPECT_EQ(ProcOwner(pid), 0u) << "PR_SET_DUMPABLE 0 hands /proc/PID to root";
  std::string limits = ReadFile("/proc/" + std::to_string(pid) + "/limits");
  // The soft limit: the hard one stays, so that `exec` can hand the
  // command the limit it would have had.
  EXPECT_TRUE(std::regex_search(limits, std::regex("Max core file size +0 "))) << limits;
  ::close(in[1]);  // no key: the CLI gives up
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status)) << status;
}

// A socket served by a process of another uid: the CLI refuses it before
// sending a byte, so `add` hands over no key and `get` prints no forged one.
TEST_F(CliHardeningTest, SocketServedByAnotherUidIsRefusedBeforeAByteIsSent) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as other uids";
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0711), 0);
  const fs::path record = dir_.path() / "received";
  {
    std::ofstream(record) << "";
  }
  ASSERT_EQ(::chown(record.c_str(), kServerUid, kServerUid), 0);
  ASSERT_EQ(::chown(dir_.path().c_str(), kServerUid, kServerUid), 0);
  const std::string forged =
      Json({{"v", 1}, {"id", 1}, {"ok", true}, {"result", GetResult("sk-or-v1-forged")}}).dump() +
      "\n";
  pid_t server = ::fork();
  if (server == 0) {
    // Only system calls from here: this is a fork of a threaded process.
    if (::setgroups(0, nullptr) != 0 || ::setgid(kServerUid) != 0 || ::setuid(kServerUid) != 0) {
      _exit(126);
    }
    int listener = Listen(socket());
    int out = ::open(record.c_str(), O_WRONLY | O_APPEND);
    if (listener < 0 || out < 0) _exit(125);
    for (;;) {
      int c = ::accept(listener, nullptr, nullptr);
      if (c < 0) continue;
      char buffer[4096];
      ssize_t n = ::read(c, buffer, sizeof(buffer));
      if (n > 0) {
        [[maybe_unused]] ssize_t w = ::write(out, buffer, static_cast<size_t>(n));
        w = ::write(c, forged.data(), forged.size());
      }
      ::close(c);
    }
  }
  for (int i = 0; i < 2000 && !fs::exists(socket()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(fs::exists(socket()));

  const std::string key = "sk-or-v1-" + std::string(64, 'd');
  CliResult add = Cli({"add", "dev/x", "--provider", "openrouter", "--models", "m"},
                      {.stdin_data = key, .uid = kClientUid});
  EXPECT_EQ(add.exit_code, 5) << add.err;
  EXPECT_NE(add.err.find("uid 65534"), std::string::npos) << add.err;
  CliResult get = Cli({"get", "dev/x"}, {.uid = kClientUid});
  EXPECT_EQ(get.exit_code, 5) << get.err;
  EXPECT_EQ(get.out, "");
  EXPECT_NE(get.err.find("uid 65534"), std::string::npos) << get.err;
  EXPECT_EQ(ReadFile(record), "") << "nothing was sent";

  // Control: the server's own uid trusts it, and the server records that.
  CliResult same = Cli({"get", "dev/x"}, {.uid = kServerUid});
  EXPECT_EQ(same.out, "sk-or-v1-forged") << same.err;
  EXPECT_NE(ReadFile(record).find("slot.get"), std::string::npos);

  ::kill(server, SIGKILL);
  ::waitpid(server, nullptr, 0);
}

// Runs the CLI with `args` under ptrace until it enters fsync(2): the call
// after an export's temp file has all its bytes and before its rename.
// Returns the stopped child's pid, or -1 if it never got there.
pid_t StartStoppedAtFsync(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> strings = {KW_CLI_PATH};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::close_range(3, ~0U, 0);
    ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    ::raise(SIGSTOP);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) return -1;
  ::ptrace(PTRACE_SETOPTIONS, pid, nullptr, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
  int deliver = 0;
  for (;;) {
    if (::ptrace(PTRACE_SYSCALL, pid, nullptr, deliver) != 0) return -1;
    deliver = 0;
    if (::waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) return -1;
    const int signal = WSTOPSIG(status);
    if (signal == (SIGTRAP | 0x80)) {
      __ptrace_syscall_info info{};
      if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info) > 0 &&
          info.op == PTRACE_SYSCALL_INFO_ENTRY && info.entry.nr == SYS_fsync) {
        return pid;
      }
    } else if (signal != SIGTRAP) {
      deliver = signal;  // the CLI's own signals go on
    }
  }
}

std::vector<std::string> TempFiles(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.find(".keywarden-") != std::string::npos) names.push_back(name);
  }
  return names;
}

// SIGTERM, SIGINT, SIGHUP or SIGQUIT while the temp file holding the key is
// written: the CLI removes it, then dies of the signal.
TEST_F(CliHardeningTest, ExportKilledWhileWritingLeavesNoTempFile) {
  const std::string key = "sk-or-v1-" + std::string(64, 'e');
  FakeDaemon fake(socket(), [&](const std::string&) { return GetResult(key); });
  ASSERT_TRUE(fake.listening());
  const fs::path project = dir_.path() / "project";
  fs::create_directory(project);
  for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) {
    pid_t pid = StartStoppedAtFsync(
        {"--home", (dir_.path() / "home").string(), "--socket", socket().string(), "export",
         "dev/openrouter", "--to", "dotenv", "--path", (project / ".env").string()},
        dir_.path() / "cli.log");
    ASSERT_GT(pid, 0) << ReadFile(dir_.path() / "cli.log");
    std::vector<std::string> temps = TempFiles(project);
    ASSERT_EQ(temps.size(), 1u) << "stopped with the temp file written";
    EXPECT_NE(ReadFile(project / temps[0]).find(key), std::string::npos);
    ::kill(pid, signal);
    ::ptrace(PTRACE_DETACH, pid, nullptr, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == signal)
        << "dies of " << strsignal(signal) << ", status " << status;
    EXPECT_EQ(TempFiles(project), std::vector<std::string>()) << strsignal(signal);
    EXPECT_FALSE(fs::exists(project / ".env"));
  }
}

// mkfifo as the --path of a dotenv export: refused at once, not a hang.
TEST_F(CliHardeningTest, FifoExportTargetIsRefusedNotWaitedOn) {
  FakeDaemon fake(socket(),
                  [](const std::string&) { return GetResult("sk-or-v1-" + std::string(64, 'f')); });
  ASSERT_TRUE(fake.listening());
  const fs::path fifo = dir_.path() / "fifo.env";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  CliResult r =
      RunProgram("/usr/bin/timeout", {"20", KW_CLI_PATH, "--home", (dir_.path() / "home").string(),
                                      "--socket", socket().string(), "export", "dev/openrouter",
                                      "--to", "dotenv", "--path", fifo.string()});
  EXPECT_EQ(r.exit_code, 1) << "124 is a hang\n" << r.err;
  EXPECT_NE(r.err.find(fifo.string() + " is a FIFO, not a regular file"), std::string::npos)
      << r.err;
  EXPECT_EQ(fs::status(fifo).type(), fs::file_type::fifo);
}

// --path through a symlink into a directory elsewhere: that directory keeps
// its mode, and the message names the path given and the backup where it
// really is: of the symlink's target, in the state directory.
TEST_F(CliHardeningTest, ExportThroughASymlinkLeavesTheTargetDirectoryAndNamesTheRealBackup) {
  FakeDaemon fake(socket(),
                  [](const std::string&) { return GetResult("sk-or-v1-" + std::string(64, '9')); });
  ASSERT_TRUE(fake.listening());
  const fs::path elsewhere = dir_.path() / "elsewhere";
  fs::create_directory(elsewhere);
  ASSERT_EQ(::chmod(elsewhere.c_str(), 0755), 0);
  std::ofstream(elsewhere / "providers.json") << "{}\n";
  fs::create_directory(dir_.path() / "home");
  const fs::path link = dir_.path() / "home" / "providers.json";
  fs::create_symlink(elsewhere / "providers.json", link);
  CliResult r = Cli({"export", "dev/openrouter", "--to", "cline", "--path", link.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st{};
  ASSERT_EQ(::stat(elsewhere.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "a directory keywarden did not create";
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_NE(ReadFile(elsewhere / "providers.json").find("sk-or-v1-"), std::string::npos);
  const fs::path backup = dir_.path() / "home" / "backups" /
                          (fs::canonical(elsewhere) / "providers.json").relative_path();
  EXPECT_NE(
      r.err.find("keywarden: updated " + link.string() + " (previous: " + backup.string() + ")"),
      std::string::npos)
      << r.err;
  EXPECT_EQ(ReadFile(backup), "{}\n") << "the backup is of the target, in the state directory";
  EXPECT_FALSE(fs::exists(elsewhere / "providers.json.keywarden.bak"));
}

}  // namespace
}  // namespace keywarden::testing
