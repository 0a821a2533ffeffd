#include "notifier.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "log.h"

extern char** environ;

namespace keywarden {

Notifier::Notifier(asio::io_context& io, std::vector<std::string> command,
                   std::chrono::seconds limit)
    : io_(io), command_(std::move(command)), limit_(limit), child_signal_(io) {
  if (!command_.empty()) {
    child_signal_.add(SIGCHLD);
    WaitForChildren();
  }
}

Notifier::~Notifier() {
  for (auto& [pid, timer] : children_) ::kill(pid, SIGKILL);
  for (auto& [pid, timer] : children_) ::waitpid(pid, nullptr, 0);
}

void Notifier::WaitForChildren() {
  child_signal_.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    Reap();
    WaitForChildren();
  });
}

void Notifier::Reap() {
  for (auto it = children_.begin(); it != children_.end();) {
    int status = 0;
    if (::waitpid(it->first, &status, WNOHANG) != it->first) {
      ++it;
      continue;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      log::Warning("notify command failed",
                   {{"command", command_.front()},
                    {"status", WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                                 : "signal " + std::to_string(WTERMSIG(status))}});
    }
    it = children_.erase(it);
  }
}

void Notifier::Send(const Json& event) {
  if (command_.empty()) return;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    log::Warning("cannot run notify command", {{"error", std::strerror(errno)}});
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  std::vector<char*> argv;
  for (std::string& arg : command_) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int err = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[0]);
  if (err != 0) {
    ::close(fds[1]);
    log::Warning("cannot run notify command", {{"command", command_.front()}, {"error", std::strerror(err)}});
    return;
  }
  // An event is far smaller than a pipe buffer, so this write never blocks
  // for long; a command that does not read just gets EPIPE.
  std::string body = event.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  ::signal(SIGPIPE, SIG_IGN);
  [[maybe_unused]] ssize_t n = ::write(fds[1], body.data(), body.size());
  ::close(fds[1]);
  auto timer = std::make_unique<asio::steady_timer>(io_, limit_);
  timer->async_wait([this, pid](boost::system::error_code ec) {
    if (ec || !children_.count(pid)) return;
    log::Warning("notify command took too long; killed", {{"command", command_.front()}});
    ::kill(pid, SIGKILL);
  });
  children_.emplace(pid, std::move(timer));
}

}  // namespace keywarden
