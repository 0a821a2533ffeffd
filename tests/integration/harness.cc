#include "integration/harness.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "keywarden/client.h"

extern char** environ;

namespace keywarden::testing {
namespace {

// A child that exits before reading its stdin must not kill the test with
// SIGPIPE (the feeder then just sees EPIPE).
const bool kIgnoreSigpipe = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string RandomHex(size_t n) {
  static std::mt19937_64 rng(std::random_device{}());
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(digits[rng() % 16]);
  return out;
}

std::string RandomAlnum(size_t n) {
  static std::mt19937_64 rng(std::random_device{}());
  static const char* chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(chars[rng() % 62]);
  return out;
}

// The environment for children: ours, minus anything keywarden reads, plus
// `extra`.
std::vector<std::string> ChildEnv(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("KEYWARDEN_") || entry.starts_with("NOTIFY_SOCKET=") ||
        entry.starts_with("LISTEN_") || entry.starts_with("CREDENTIALS_DIRECTORY=")) {
      continue;
    }
    env.emplace_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "kwtest-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) std::abort();
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CliResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                     const RunOptions& options) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) std::abort();
  std::vector<std::string> argv_strings = {program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = ChildEnv(options.extra_env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::close_range(3, ~0U, 0);  // nothing of the test's leaks into the child
    if (options.uid) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(*options.uid) != 0)
        _exit(126);
    }
    ::execve(program.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  // Feed stdin from a thread so a child that writes a lot cannot deadlock us.
  std::thread feeder([fd = in[1], data = options.stdin_data] {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  });
  CliResult result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[4096];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      }
    }
  }
  feeder.join();
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ExpectNoSanitizerReport(program, result.err);
  return result;
}

Daemon::~Daemon() {
  if (Running()) Stop();
}

bool Daemon::Start(const std::vector<std::string>& extra_args, std::string* why,
                   const std::vector<std::string>& extra_env) {
  std::filesystem::create_directories(home_);
  std::vector<std::string> argv_strings = {KW_DAEMON_PATH, "--home", home_.string()};
  argv_strings.insert(argv_strings.end(), extra_args.begin(), extra_args.end());
  std::vector<std::string> env_strings = ChildEnv(extra_env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
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
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (why) *why = Log();
      return false;
    }
    if (auto client = Client::Connect(socket(), std::chrono::seconds(2))) {
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

void Daemon::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  ExpectNoSanitizerReport("keywardend", Log());
}

void Daemon::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
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

void ExpectNoSanitizerReport(const std::string& who, const std::string& output) {
  for (const char* marker :
       {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", ": runtime error: "}) {
    if (output.find(marker) != std::string::npos) {
      ADD_FAILURE() << who << " reported a sanitizer finding:\n" << output;
      return;
    }
  }
}

std::string ReadFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool AnyFileContains(const std::filesystem::path& dir, const std::string& needle,
                     std::string* which) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    if (ReadFile(entry.path()).find(needle) != std::string::npos) {
      if (which) *which = entry.path().string();
      return true;
    }
  }
  return false;
}

std::string FakeKey(const std::string& provider) {
  if (provider == "openrouter") return "sk-or-v1-" + RandomHex(64);
  if (provider == "mistral") return RandomAlnum(32);
  if (provider == "deepseek") return "sk-" + RandomHex(32);
  if (provider == "gemini") return "AIzaSy" + RandomAlnum(33);
  if (provider == "anthropic") return "sk-ant-api03-" + RandomAlnum(93) + "AA";
  if (provider == "openai") return "sk-proj-" + RandomAlnum(74) + "T3BlbkFJ" + RandomAlnum(74);
  return "kw-test-" + RandomAlnum(40);
}

RawSocket::RawSocket(const std::filesystem::path& path) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strcpy(address.sun_path, path.c_str());
  connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
}

RawSocket::~RawSocket() { ::close(fd_); }

bool RawSocket::Send(std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string RawSocket::ReadLine() {
  std::string line;
  char c;
  pollfd p{fd_, POLLIN, 0};
  while (::poll(&p, 1, 5000) > 0 && ::recv(fd_, &c, 1, 0) == 1) {
    if (c == '\n') return line;
    line.push_back(c);
  }
  return line;
}

bool RawSocket::Closed() {
  char c;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0) return false;
  return ::recv(fd_, &c, 1, 0) <= 0;
}

bool RawSocket::Drain(std::string* in, bool* reset) {
  char buffer[4096];
  while (true) {
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n > 0) {
      in->append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (reset) *reset = n < 0;
    return false;
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
