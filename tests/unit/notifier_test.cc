// The notify command's deadline reaches its whole process group: what it
// leaves running in the background dies with it.
#include "schedule/notifier.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "support/temp_dir.h"

namespace keywarden {
namespace {

namespace fs = std::filesystem;

// True once `pid` is gone or a zombie (its parent, perhaps init, may not
// have reaped it yet).
bool Dead(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  if (!(stat >> pid_field >> comm >> state)) return true;
  return state == "Z" || state == "X";
}

pid_t ReadPid(const fs::path& file) {
  pid_t pid = 0;
  std::ifstream(file) >> pid;
  return pid;
}

class NotifierDeadlineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void TearDown() override {
    if (grandchild_ > 0 && !Dead(grandchild_)) ::kill(grandchild_, SIGKILL);
  }

  testing::TempDir temp_{"kw-notifier"};
  fs::path dir_ = temp_.path();
  pid_t grandchild_ = 0;
};

TEST_P(NotifierDeadlineTest, KillsBackgroundChildrenOfTheCommandAtTheDeadline) {
  fs::create_directories(dir_);
  fs::path pid_file = dir_ / "pid";
  // Starts a background sleep, records its pid, then ends as the parameter says.
  std::string script = "sleep 300 & echo $! > " + pid_file.string() + "; " + GetParam();
  asio::io_context io;
  Notifier notifier(io, {"/bin/sh", "-c", script}, std::chrono::seconds(1));
  notifier.Send(Json{{"kind", "test"}});
  for (int i = 0; i < 100 && ReadPid(pid_file) == 0; ++i) {
    io.run_for(std::chrono::milliseconds(50));
  }
  grandchild_ = ReadPid(pid_file);
  ASSERT_GT(grandchild_, 0) << "the command never ran";
  EXPECT_FALSE(Dead(grandchild_));
  // The deadline is 1 s after the start; 10 s leave room on a loaded machine.
  for (int i = 0; i < 100 && (notifier.running() > 0 || !Dead(grandchild_)); ++i) {
    io.run_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(notifier.running(), 0u);
  EXPECT_TRUE(Dead(grandchild_)) << "pid " << grandchild_ << " outlived the deadline";
}

INSTANTIATE_TEST_SUITE_P(LeaderExitsOrWaits, NotifierDeadlineTest,
                         ::testing::Values("exit 0", "wait"));

}  // namespace
}  // namespace keywarden
