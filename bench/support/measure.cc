#include "measure.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <sstream>

#include "support/files.h"

namespace keywarden::bench {

RunResult Run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
              const char* stdout_file) {
  testing::RunOptions options{.extra_env = env};
  if (stdout_file) options.stdout_file = stdout_file;
  return testing::RunProgram(argv.at(0), {argv.begin() + 1, argv.end()}, options);
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
