// The real keywardend on a temporary home, and the real keywarden CLI run
// against it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "keywarden/client.h"
#include "keywarden/protocol.h"
#include "support/process.h"

namespace keywarden::testing {

// A keywardend (the one this build made) on its own home directory. Logs
// go to <home>/daemon.log so callers can grep them. Stopped (SIGTERM) on
// destruction. Not copyable.
class Daemon {
 public:
  explicit Daemon(std::filesystem::path home) : home_(std::move(home)) {}
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts the daemon (environment as RunProgram gives it, plus
  // `extra_env`) and waits until its socket answers `status`. Returns false
  // (with the log in `*why`) if it exits or never answers within 20 s.
  bool Start(const std::vector<std::string>& extra_args = {}, std::string* why = nullptr,
             const std::vector<std::string>& extra_env = {});
  // Starts the daemon expecting failure; returns its exit code and output.
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
  // A protocol client on this daemon's socket.
  Result<Client> Connect(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    return Client::Connect(socket(), timeout);
  }

 private:
  void Reap(int signal);

  std::filesystem::path home_;
  pid_t pid_ = -1;
};

// Polls `socket` until a daemon there answers `status`; false after `timeout`.
bool WaitForStatus(const std::filesystem::path& socket, std::chrono::seconds timeout);

// Writes `config` as <home>/config.json, creating `home` if needed.
void WriteConfig(const std::filesystem::path& home, const Json& config);

}  // namespace keywarden::testing
