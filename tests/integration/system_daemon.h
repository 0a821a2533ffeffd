// A keywardend in system mode, run by root (the test) on a fresh home, whose
// socket every uid may reach, and the CLI run as any uid against it: for
// tests of what one user may see and do of another's slots.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "integration/harness.h"
#include "support/fake_provider.h"
#include "support/process.h"

namespace keywarden::testing {

class SystemDaemon {
 public:
  // Starts the daemon with `config` as its config.json; check started().
  explicit SystemDaemon(const Json& config) {
    // Others must be able to reach the socket: /tmp/kwtest-X/run/ is 0755.
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::owner_all |
                                                  std::filesystem::perms::group_exec |
                                                  std::filesystem::perms::others_exec);
    WriteConfig(home_, config);
    daemon_ = std::make_unique<Background>(
        std::vector<std::string>{KW_DAEMON_PATH, "--system", "--home", home_.string(), "--socket",
                                 socket_.string()},
        std::vector<std::string>{}, dir_.path() / "daemon.log");
    started_ = WaitForStatus(socket_, std::chrono::seconds(20));
    // The self-created socket is 0660 for group keywarden; in these tests
    // the peers are plain uids, so only SO_PEERCRED stands between them.
    ::chmod(socket_.c_str(), 0666);
  }

  bool started() const { return started_; }
  std::string log() const { return ReadFile(dir_.path() / "daemon.log"); }
  const std::filesystem::path& dir() const { return dir_.path(); }
  const std::filesystem::path& home() const { return home_; }

  // The CLI as `uid` (nullopt: as root, an admin).
  CliResult As(std::optional<uid_t> uid, const std::vector<std::string>& args,
               const std::string& input = "") const {
    return RunProgram(
        KW_CLI_PATH, args,
        {.stdin_data = input, .extra_env = {"KEYWARDEN_SOCKET=" + socket_.string()}, .uid = uid});
  }

 private:
  TempDir dir_;
  std::filesystem::path home_ = dir_.path() / "home";
  std::filesystem::path socket_ = dir_.path() / "run" / "keywarden.sock";
  std::unique_ptr<Background> daemon_;
  bool started_ = false;
};

}  // namespace keywarden::testing
