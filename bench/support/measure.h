// What the benchmarks read of a running process (CPU time, run-queue wait)
// and the small pieces every benchmark program shares. Temporary
// directories, running programs and the servers come from the test support
// (tests/support/).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/daemon.h"
#include "support/fake_provider.h"
#include "support/files.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace keywarden::bench {

// The test support's pieces, under the names the benchmarks use.
using testing::Background;
using testing::Daemon;
using testing::FakeProvider;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteConfig;
using RunResult = testing::CliResult;

// testing::RunProgram for argv[0] with the rest of `argv`, `env` added to
// the environment, and standard output to `stdout_file` if given.
RunResult Run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
              const char* stdout_file = nullptr);

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
