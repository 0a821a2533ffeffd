#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace keywarden::bench {
namespace {

// Ours, minus anything keywarden reads, with `extra` replacing same names.
std::vector<std::string> ChildEnv(const std::vector<std::string>& extra) {
  std::map<std::string, std::string> by_name;
  auto put = [&](std::string_view entry) {
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) return;
    by_name[std::string(entry.substr(0, eq))] = std::string(entry);
  };
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("KEYWARDEN_") || entry.starts_with("NOTIFY_SOCKET=") ||
        entry.starts_with("LISTEN_")) {
      continue;
    }
    put(entry);
  }
  for (const std::string& entry : extra) put(entry);
  std::vector<std::string> out;
  for (auto& [name, entry] : by_name) out.push_back(std::move(entry));
  return out;
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

}  // namespace

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RunResult Run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
              const char* stdout_file) {
  std::vector<std::string> argv_strings = argv;
  std::vector<std::string> env_strings = ChildEnv(env);
  std::vector<char*> c_argv = CStrings(argv_strings);
  std::vector<char*> c_env = CStrings(env_strings);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (stdout_file) {
    posix_spawn_file_actions_addopen(&actions, 1, stdout_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  } else {
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  }
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);

  RunResult result;
  auto start = std::chrono::steady_clock::now();
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    result.exit_code = 127;
    return result;
  }
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(out[0], buffer, sizeof(buffer))) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    result.out.append(buffer, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.elapsed = std::chrono::steady_clock::now() - start;
  result.exit_code = ExitCode(status);
  return result;
}

Background::Background(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       const std::filesystem::path& log) {
  std::vector<std::string> argv_strings = argv;
  std::vector<std::string> env_strings = ChildEnv(env);
  std::vector<char*> c_argv = CStrings(argv_strings);
  std::vector<char*> c_env = CStrings(env_strings);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  int rc = ::posix_spawnp(&pid_, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
}

bool Background::Alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void Background::Stop(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string ReadFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

long PeakRssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmHWM:")) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

double CpuSeconds(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  // The command name may hold spaces; fields are counted after its ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::strtod(field.c_str(), nullptr);  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double RunQueueWaitSeconds(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", ec);
  if (ec) return -1;
  double ns = 0;
  for (const auto& task : tasks) {
    std::istringstream fields(ReadFile(task.path() / "schedstat"));
    double on_cpu = 0, waiting = 0;
    if (fields >> on_cpu >> waiting) ns += waiting;
  }
  return ns / 1e9;
}

std::vector<std::string> AttachArgv(const std::string& command, pid_t pid) {
  std::vector<std::string> argv;
  size_t at = 0;
  while (at < command.size()) {
    size_t space = command.find(' ', at);
    if (space == std::string::npos) space = command.size();
    std::string word = command.substr(at, space - at);
    if (word == "{pid}") word = std::to_string(pid);
    if (!word.empty()) argv.push_back(word);
    at = space + 1;
  }
  return argv;
}

int RunMain(const char* name, int (*main)(int, char**), int argc, char** argv) {
  try {
    return main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", name, e.what());
    return 1;
  }
}

}  // namespace keywarden::bench
