// A background process for tests that start keywardend some other way than
// the harness's Daemon: under systemd-socket-activate, with a notification
// socket to watch, or as another uid. Header-only.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "keywarden/client.h"

namespace keywarden::testing {

// Runs argv[0] with a minimal environment (PATH, the sanitizer options of a
// KEYWARDEN_SANITIZE build, plus `env`), stdin from /dev/null, stdout and
// stderr appended to `log`; as `uid` (with the same gid and no supplementary
// groups) if given. Stopped (SIGTERM, then SIGKILL after 10 s) and reaped on
// destruction if still running; once reaped, a sanitizer report in `log`
// fails the test. Not copyable.
class Background {
 public:
  Background(std::vector<std::string> argv, std::vector<std::string> env,
             const std::filesystem::path& log, std::optional<uid_t> uid = std::nullopt)
      : name_(argv.at(0)), log_(log) {
    env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
      if (const char* value = ::getenv(name)) env.push_back(std::string(name) + "=" + value);
    }
    std::vector<char*> args, envp;
    for (std::string& a : argv) args.push_back(a.data());
    for (std::string& e : env) envp.push_back(e.data());
    args.push_back(nullptr);
    envp.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      int null = ::open("/dev/null", O_RDONLY);
      ::dup2(null, 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::close_range(3, ~0U, 0);  // nothing of the test's leaks into the child
      if (uid && (::setgroups(0, nullptr) != 0 || ::setgid(*uid) != 0 || ::setuid(*uid) != 0)) {
        _exit(126);
      }
      ::execve(args[0], args.data(), envp.data());
      _exit(127);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  ~Background() {
    if (pid_ <= 0) return;
    // SIGTERM first: a sanitizer build checks for leaks only on a clean exit.
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) ::kill(pid_, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    ExpectNoSanitizerReport(name_, ReadFile(log_));
  }

  pid_t pid() const { return pid_; }
  void Signal(int signal) const { ::kill(pid_, signal); }
  // Reaps the process; its exit code, or 128 + the signal that ended it.
  int Wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    ExpectNoSanitizerReport(name_, ReadFile(log_));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  std::string name_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

// Polls `socket` until a daemon there answers `status`.
inline bool WaitForStatus(const std::filesystem::path& socket, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto client = Client::Connect(socket, std::chrono::seconds(2))) {
      if (client->Call("status")) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace keywarden::testing
