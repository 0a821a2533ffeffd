#include "support/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "support/files.h"

namespace keywarden::testing {

Daemon::~Daemon() {
  if (Running()) Stop();
}

bool Daemon::Start(const std::vector<std::string>& extra_args, std::string* why,
                   const std::vector<std::string>& extra_env) {
  std::filesystem::create_directories(home_);
  std::vector<std::string> argv_strings = {KW_DAEMON_PATH, "--home", home_.string()};
  argv_strings.insert(argv_strings.end(), extra_args.begin(), extra_args.end());
  std::vector<std::string> env_strings = ChildEnvironment(extra_env);
  std::vector<char*> argv, envp;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  for (std::string& e : env_strings) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  std::string log = (home_ / "daemon.log").string();
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close_range(3, ~0U, 0);
    ::execve(KW_DAEMON_PATH, argv.data(), envp.data());
    _exit(127);
  }
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (why) *why = Log();
      return false;
    }
    if (auto client = Connect(std::chrono::seconds(2))) {
      if (client->Call("status")) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (why) *why = "timed out; log:\n" + Log();
  Kill();
  return false;
}

CliResult Daemon::StartExpectingFailure(const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {"--home", home_.string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return RunProgram(KW_DAEMON_PATH, args);
}

void Daemon::Stop() { Reap(SIGTERM); }

void Daemon::Kill() { Reap(SIGKILL); }

void Daemon::Reap(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  ExpectNoSanitizerReport("keywardend", Log());
}

std::string Daemon::Log() const { return ReadFile(home_ / "daemon.log"); }

CliResult Daemon::Cli(const std::vector<std::string>& args, const RunOptions& options) const {
  RunOptions with_home = options;
  with_home.extra_env.push_back("KEYWARDEN_HOME=" + home_.string());
  return RunProgram(KW_CLI_PATH, args, with_home);
}

bool WaitForStatus(const std::filesystem::path& socket, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (auto client = Client::Connect(socket, std::chrono::seconds(2))) {
      if (client->Call("status")) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void WriteConfig(const std::filesystem::path& home, const Json& config) {
  std::filesystem::create_directories(home);
  std::ofstream(home / "config.json") << config.dump(2);
}

}  // namespace keywarden::testing
