// Processes for the benchmarks: a temporary directory, a program run to
// completion with its output captured (and timed), and a background process
// such as keywardend or the fake provider. Copied in spirit from
// tests/integration/harness.h; benchmarks do not link the tests.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace keywarden::bench {

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
// Not copyable.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "kwbench");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct RunResult {
  int exit_code = -1;                   // 128 + signal if it was killed
  std::string out;                      // standard output; standard error goes to /dev/null
  std::chrono::nanoseconds elapsed{0};  // spawn to reap, as seen by the caller
};

// Runs argv[0] (a path, or a name looked up in PATH) with this process's
// environment plus `env` ("NAME=value", later entries win), stdin from
// /dev/null, and waits for it. Uses posix_spawn (vfork), so the parent's
// size does not weigh on the figure. With `stdout_file` (e.g. "/dev/null")
// standard output goes there and `out` stays empty.
RunResult Run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
              const char* stdout_file = nullptr);

// A process left running: stdin /dev/null, stdout and stderr appended to
// `log`. SIGTERM and reaped on destruction (Stop). Not copyable.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             const std::filesystem::path& log);
  ~Background() { Stop(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }
  // False (and reaped) if it has exited.
  bool Alive();
  // Sends `signal` (perf wants SIGINT to write its data), then waits;
  // idempotent.
  void Stop(int signal = SIGTERM);

 private:
  pid_t pid_ = -1;
};

// The whole file ("" if it cannot be read).
std::string ReadFile(const std::filesystem::path& file);

// VmHWM (peak resident set) of `pid` in KiB, from /proc; -1 if unreadable.
long PeakRssKiB(pid_t pid);

// User plus system CPU time `pid` has used so far, in seconds (all its
// threads); -1 if unreadable.
double CpuSeconds(pid_t pid);

// Time the threads of `pid` have spent runnable but waiting for a CPU, in
// seconds (/proc/PID/task/*/schedstat); large when other work loads the
// machine. -1 if unreadable.
double RunQueueWaitSeconds(pid_t pid);

// `command` split on spaces, with each "{pid}" replaced by `pid`: the
// --attach option of the benchmarks (say, "perf record -p {pid}").
std::vector<std::string> AttachArgv(const std::string& command, pid_t pid);

// Runs a benchmark's Main, printing "<name>: error: ..." and returning 1 if
// it throws.
int RunMain(const char* name, int (*main)(int, char**), int argc, char** argv);

}  // namespace keywarden::bench
