// Test harness for integration tests: a temporary home, the real
// keywardend binary started on it, and the real keywarden CLI run as a
// child process with stdin, stdout and stderr captured.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keywarden::testing {

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct RunOptions {
  std::string stdin_data;
  std::vector<std::string> extra_env;  // "NAME=value"
  std::optional<uid_t> uid;            // run as this uid (tests run as root)
};

// Runs `program` with `args`, waits for it, returns its exit code and output.
CliResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                     const RunOptions& options = {});

// A keywardend on its own home directory. Logs go to <home>/daemon.log so
// tests can grep them.
class Daemon {
 public:
  explicit Daemon(std::filesystem::path home) : home_(std::move(home)) {}
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts the daemon and waits until its socket answers `status`.
  // Returns false (with the log in `*why`) if it exits or never answers.
  bool Start(const std::vector<std::string>& extra_args = {}, std::string* why = nullptr,
             const std::vector<std::string>& extra_env = {});
  // Starts the daemon expecting failure; returns its exit code and log.
  CliResult StartExpectingFailure(const std::vector<std::string>& extra_args = {});
  void Stop();  // SIGTERM and wait
  void Kill();  // SIGKILL and wait
  bool Running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  const std::filesystem::path& home() const { return home_; }
  std::filesystem::path socket() const { return home_ / "keywarden.sock"; }
  std::string Log() const;

  // Runs the CLI against this daemon.
  CliResult Cli(const std::vector<std::string>& args, const RunOptions& options = {}) const;

 private:
  std::filesystem::path home_;
  pid_t pid_ = -1;
};

// Fails the current test if `output` (a process's stderr or log) holds an
// AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer report, as a
// KEYWARDEN_SANITIZE build prints them; `who` names the process. RunProgram
// and Daemon check every child they start with it.
void ExpectNoSanitizerReport(const std::string& who, const std::string& output);

using Clock = std::chrono::steady_clock;

// Seconds since `start`, as a fraction.
double SecondsSince(Clock::time_point start);

// A field of /proc/<pid>/status in KiB (VmRSS, VmHWM), or -1.
long ProcStatusKib(pid_t pid, const std::string& field);

// Reads a whole file as bytes ("" if missing).
std::string ReadFile(const std::filesystem::path& file);
// True if `needle` occurs in any regular file below `dir`.
bool AnyFileContains(const std::filesystem::path& dir, const std::string& needle,
                     std::string* which = nullptr);

// A well-formed key of each provider's shape, unique per call.
std::string FakeKey(const std::string& provider);

// A raw connection to the daemon's socket, for sending what the real client
// never would, or for holding many connections open.
class RawSocket {
 public:
  explicit RawSocket(const std::filesystem::path& path);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }
  // Sends all of `bytes`; false if the peer is gone.
  bool Send(std::string_view bytes);
  // One line, or "" on close or after 5 s.
  std::string ReadLine();
  // True if the peer closed the connection (EOF) within 5 s.
  bool Closed();
  // What has arrived, without waiting: appended to `*in`. Returns false
  // once the peer has closed; `*reset` tells a reset from a clean EOF.
  bool Drain(std::string* in, bool* reset = nullptr);

 private:
  int fd_ = -1;
  bool connected_ = false;
};

}  // namespace keywarden::testing
