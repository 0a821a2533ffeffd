// Child processes for tests, benchmarks and tools checks: a program run to
// completion with its input fed and its output captured, and a background
// process (a daemon, the fake provider, a tracer) stopped when it goes away.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace keywarden::testing {

using Clock = std::chrono::steady_clock;

struct CliResult {
  int exit_code = -1;  // 128 + the signal if one ended it; 127 if it could not start
  std::string out;
  std::string err;
  std::chrono::nanoseconds elapsed{0};  // start to reap, as the caller saw it
};

struct RunOptions {
  std::string stdin_data;
  // "NAME=value", each replacing an inherited variable of the same name.
  std::vector<std::string> extra_env;
  std::optional<uid_t> uid;  // run as this uid, gid 65534, no groups (tests run as root)
  // Standard output to this file (created or truncated) instead of `out`.
  std::optional<std::filesystem::path> stdout_file;
  // Killed (SIGKILL) once this has passed; zero waits for ever.
  std::chrono::milliseconds timeout{0};
};

// Runs `program` (a path, or a name looked up in PATH) with `args`, waits
// for it and returns its exit code and output. The child gets
// ChildEnvironment(extra_env) and no descriptor but 0, 1 and 2, and keeps
// this process's ignored SIGPIPE. Without `uid` it is started with
// posix_spawn (vfork), so the caller's size does not weigh on `elapsed`.
// Fails the current test if the child's stderr holds a sanitizer report.
CliResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                     const RunOptions& options = {});

// The environment RunProgram gives a child: this process's, without what
// keywarden itself reads, with `extra` replacing variables of the same name.
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& extra);

// Runs argv[0] in the background with a minimal environment (PATH, the
// sanitizer options of a KEYWARDEN_SANITIZE build, plus `env`), stdin from
// /dev/null, stdout and stderr appended to `log`; as `uid` (with the same
// gid and no supplementary groups) if given. argv[0] is a path or a name
// looked up in PATH; if it cannot run, the child exits 127. Stopped and
// reaped on destruction if still running; once reaped, a sanitizer report
// in `log` fails the current test. Not copyable.
class Background {
 public:
  Background(std::vector<std::string> argv, std::vector<std::string> env,
             const std::filesystem::path& log, std::optional<uid_t> uid = std::nullopt);
  ~Background() { Stop(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal) const;
  // False (and reaped) once it has exited.
  bool Alive();
  // Reaps the process; its exit code, or 128 + the signal that ended it
  // (-1 if it was already reaped).
  int Wait();
  // Sends `signal` (SIGTERM first: a sanitizer build checks for leaks only
  // on a clean exit; perf wants SIGINT to write its data), SIGKILL after
  // 10 s, and reaps it. Does nothing once reaped.
  void Stop(int signal = SIGTERM);

 private:
  void Reaped();

  std::string name_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

// Fails the current test if `output` (a process's stderr or log) holds an
// AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer report, as a
// KEYWARDEN_SANITIZE build prints them; `who` names the process.
void ExpectNoSanitizerReport(const std::string& who, const std::string& output);

// Seconds since `start`, as a fraction.
double SecondsSince(Clock::time_point start);

// A field of /proc/<pid>/status in KiB (VmRSS, VmHWM), or -1.
long ProcStatusKib(pid_t pid, const std::string& field);

}  // namespace keywarden::testing
