#include "support/process.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <string_view>
#include <thread>

#include "support/files.h"

extern char** environ;

namespace keywarden::testing {
namespace {

// A child that exits before reading its stdin must not kill the caller with
// SIGPIPE (the feeder then just sees EPIPE).
const bool kIgnoreSigpipe = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

// Environment entries by name, later ones replacing earlier ones.
class Environment {
 public:
  void Put(std::string_view entry) {
    size_t eq = entry.find('=');
    if (eq != std::string_view::npos) by_name_[std::string(entry.substr(0, eq))] = entry;
  }
  std::vector<std::string> Entries() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : by_name_) out.push_back(entry);
    return out;
  }

 private:
  std::map<std::string, std::string> by_name_;
};

}  // namespace

std::vector<std::string> ChildEnvironment(const std::vector<std::string>& extra) {
  Environment env;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("KEYWARDEN_") || entry.starts_with("NOTIFY_SOCKET=") ||
        entry.starts_with("LISTEN_") || entry.starts_with("CREDENTIALS_DIRECTORY=")) {
      continue;
    }
    env.Put(entry);
  }
  for (const std::string& entry : extra) env.Put(entry);
  return env.Entries();
}

namespace {

// PATH and the sanitizer options only, plus `extra`.
std::vector<std::string> MinimalEnv(const std::vector<std::string>& extra) {
  Environment env;
  env.Put("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* value = ::getenv(name)) env.Put(std::string(name) + "=" + value);
  }
  for (const std::string& entry : extra) env.Put(entry);
  return env.Entries();
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int ExitCode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Forks a child with `fds` as its 0, 1 and 2 and nothing else open, as `uid`
// and `gid` (no supplementary groups) if given, running argv[0] (looked up
// in PATH if it has no slash). It exits 126 if it cannot change identity and
// 127 if it cannot run the program.
pid_t ForkExec(std::vector<char*>& argv, std::vector<char*>& envp, const int (&fds)[3],
               std::optional<uid_t> uid, gid_t gid) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  for (int i = 0; i < 3; ++i) ::dup2(fds[i], i);
  ::close_range(3, ~0U, 0);  // nothing of the caller's leaks into the child
  if (uid && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(*uid) != 0)) {
    _exit(126);
  }
  ::execvpe(argv[0], argv.data(), envp.data());
  _exit(127);
}

// posix_spawn (vfork) with `fds` as 0, 1 and 2 and nothing else open; -1 if
// the program cannot run.
pid_t SpawnExec(std::vector<char*>& argv, std::vector<char*>& envp, const int (&fds)[3]) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int i = 0; i < 3; ++i) posix_spawn_file_actions_adddup2(&actions, fds[i], i);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

}  // namespace

CliResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                     const RunOptions& options) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) std::abort();
  int stdout_fd = out[1];
  if (options.stdout_file) {
    stdout_fd =
        ::open(options.stdout_file->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (stdout_fd < 0) stdout_fd = out[1];
  }
  std::vector<std::string> argv_strings = {program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = ChildEnvironment(options.extra_env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  const int fds[3] = {in[0], stdout_fd, err[1]};

  CliResult result;
  const Clock::time_point start = Clock::now();
  pid_t pid =
      options.uid ? ForkExec(argv, envp, fds, options.uid, 65534) : SpawnExec(argv, envp, fds);
  for (int fd : {in[0], out[1], err[1]}) ::close(fd);
  if (stdout_fd != out[1]) ::close(stdout_fd);
  if (pid < 0) {
    for (int fd : {in[1], out[0], err[0]}) ::close(fd);
    result.exit_code = 127;
    return result;
  }
  // Feed stdin from a thread so a child that writes a lot cannot deadlock us.
  std::thread feeder;
  if (options.stdin_data.empty()) {
    ::close(in[1]);
  } else {
    feeder = std::thread([fd = in[1], &data = options.stdin_data] {
      size_t done = 0;
      while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::close(fd);
    });
  }
  const std::optional<Clock::time_point> deadline =
      options.timeout.count() > 0 ? std::optional(start + options.timeout) : std::nullopt;
  bool killed = false;
  pollfd fds_in[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[4096];
  while (open_fds > 0) {
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      wait_ms = static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0));
    }
    int ready = ::poll(fds_in, 2, wait_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready == 0 && deadline) {
      // A grandchild may hold the pipes open after the child dies: stop
      // reading rather than wait for it.
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    for (pollfd& p : fds_in) {
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(p.fd, buffer, sizeof(buffer));
      if (n <= 0) {
        ::close(p.fd);
        p.fd = -1;
        --open_fds;
      } else {
        (&p == &fds_in[0] ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      }
    }
  }
  for (pollfd& p : fds_in) {
    if (p.fd >= 0) ::close(p.fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.elapsed = Clock::now() - start;
  // After the child is gone a blocked write fails with EPIPE, so this ends.
  if (feeder.joinable()) feeder.join();
  result.exit_code = killed ? 128 + SIGKILL : ExitCode(status);
  ExpectNoSanitizerReport(program, result.err);
  return result;
}

Background::Background(std::vector<std::string> argv, std::vector<std::string> env,
                       const std::filesystem::path& log, std::optional<uid_t> uid)
    : name_(argv.at(0)), log_(log) {
  std::vector<std::string> env_strings = MinimalEnv(env);
  std::vector<char*> c_argv = CStrings(argv);
  std::vector<char*> envp = CStrings(env_strings);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int fds[3] = {null, out, out};
  pid_ = ForkExec(c_argv, envp, fds, uid, uid.value_or(0));
  ::close(null);
  ::close(out);
}

void Background::Signal(int signal) const {
  if (pid_ > 0) ::kill(pid_, signal);
}

bool Background::Alive() {
  if (pid_ <= 0) return false;
  if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
    Reaped();
    return false;
  }
  return true;
}

int Background::Wait() {
  if (pid_ <= 0) return -1;  // waitpid(-1) would reap some other child
  int status = 0;
  ::waitpid(pid_, &status, 0);
  Reaped();
  return ExitCode(status);
}

void Background::Stop(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
  while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
    if (Clock::now() > deadline) ::kill(pid_, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Reaped();
}

void Background::Reaped() {
  pid_ = -1;
  ExpectNoSanitizerReport(name_, ReadFile(log_));
}

void ExpectNoSanitizerReport(const std::string& who, const std::string& output) {
  for (const char* marker :
       {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", ": runtime error: "}) {
    if (output.find(marker) != std::string::npos) {
      ADD_FAILURE() << who << " reported a sanitizer finding:\n" << output;
      return;
    }
  }
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

long ProcStatusKib(pid_t pid, const std::string& field) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find(field + ":");
  if (at == std::string::npos) return -1;
  return std::strtol(status.c_str() + at + field.size() + 1, nullptr, 10);
}

}  // namespace keywarden::testing
