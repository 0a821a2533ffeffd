#include "schedule/notifier.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "log.h"

extern char** environ;

namespace keywarden {
namespace {

// The program to exec, searched in PATH as posix_spawnp would, but before
// the fork: between fork and exec only async-signal-safe calls may run.
std::optional<std::string> FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    size_t colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    std::string candidate = std::string(dir.empty() ? "." : dir) + "/" + name;
    struct stat st{};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) return std::nullopt;
    dirs.remove_prefix(colon + 1);
  }
}

// In the child, between fork and exec: async-signal-safe calls only.
[[noreturn]] void ExecChild(int event_fd, const char* program, char* const* argv, unsigned max_fd) {
  // A group of its own, so that the deadline reaches everything it starts.
  ::setpgid(0, 0);
  if (event_fd == STDIN_FILENO) {
    ::fcntl(STDIN_FILENO, F_SETFD, 0);
  } else if (::dup2(event_fd, STDIN_FILENO) < 0) {
    ::_exit(126);
  }
  // Second line behind close-on-exec: whatever the daemon (or a library)
  // opened without it never reaches the command.
  if (::close_range(3, ~0U, 0) != 0) {
    for (unsigned fd = 3; fd < max_fd; ++fd) ::close(static_cast<int>(fd));
  }
  // The daemon ignores SIGPIPE and Asio blocks or handles some signals;
  // the command starts with the defaults.
  struct sigaction dfl{};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(program, argv, environ);
  ::_exit(127);
}

}  // namespace

Notifier::Notifier(asio::io_context& io, std::vector<std::string> command,
                   std::chrono::seconds limit)
    : io_(io), command_(std::move(command)), limit_(limit), child_signal_(io) {
  if (!command_.empty()) {
    child_signal_.add(SIGCHLD);
    WaitForChildren();
  }
}

Notifier::~Notifier() {
  for (auto& [pid, child] : children_) ::kill(-pid, SIGKILL);
  for (auto& [pid, child] : children_) ::waitpid(pid, nullptr, 0);
}

void Notifier::WaitForChildren() {
  child_signal_.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    NoteExits();
    WaitForChildren();
  });
}

void Notifier::NoteExits() {
  for (auto& [pid, child] : children_) {
    if (child.exited) continue;
    siginfo_t info{};
    // WNOWAIT: the leader stays a zombie (see children_).
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid != pid) {
      continue;
    }
    child.exited = true;
    if (info.si_code != CLD_EXITED || info.si_status != 0) {
      log::Warning(
          "notify command failed",
          {{"command", command_.front()},
           {"status", info.si_code == CLD_EXITED ? "exit " + std::to_string(info.si_status)
                                                 : "signal " + std::to_string(info.si_status)}});
    }
  }
}

void Notifier::Send(const Json& event) {
  if (command_.empty()) return;
  std::optional<std::string> program = FindProgram(command_.front());
  if (!program) {
    log::Warning("cannot run notify command",
                 {{"command", command_.front()}, {"error", "not found in PATH"}});
    return;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    log::Warning("cannot run notify command", {{"error", std::strerror(errno)}});
    return;
  }
  std::vector<char*> argv;
  for (std::string& arg : command_) argv.push_back(arg.data());
  argv.push_back(nullptr);
  rlimit files{};
  unsigned max_fd = ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 65536
                        ? static_cast<unsigned>(files.rlim_cur)
                        : 65536;
  pid_t pid = ::fork();
  if (pid == 0) ExecChild(fds[0], program->c_str(), argv.data(), max_fd);
  int fork_errno = errno;
  ::close(fds[0]);
  if (pid < 0) {
    ::close(fds[1]);
    log::Warning("cannot run notify command",
                 {{"command", command_.front()}, {"error", std::strerror(fork_errno)}});
    return;
  }
  // Also here, so that the group exists before any kill(-pid) below, whichever
  // of parent and child runs first. EACCES once the child has exec'd is fine.
  ::setpgid(pid, pid);
  // An event is far smaller than a pipe buffer, so this write never blocks
  // for long; a command that does not read just gets EPIPE.
  std::string body = event.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  ::signal(SIGPIPE, SIG_IGN);
  [[maybe_unused]] ssize_t n = ::write(fds[1], body.data(), body.size());
  ::close(fds[1]);
  auto timer = std::make_unique<asio::steady_timer>(io_, limit_);
  timer->async_wait([this, pid](boost::system::error_code ec) {
    auto it = children_.find(pid);
    if (ec || it == children_.end()) return;
    NoteExits();
    if (!it->second.exited) {
      log::Warning("notify command took too long; killed", {{"command", command_.front()}});
    }
    // The whole group: a command's background children die with it.
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    children_.erase(it);
  });
  children_.emplace(pid, Child{std::move(timer)});
}

}  // namespace keywarden
