// The two servers a benchmark stands up: the project's fake provider
// (tests/fake_provider/fake_provider.py) on 127.0.0.1, and the real
// keywardend on a temporary --home. Mirrors tests/integration/fake_provider.h
// and harness.h.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "keywarden/client.h"
#include "keywarden/protocol.h"
#include "process.h"

namespace keywarden::bench {

// Not copyable; stopped (SIGTERM) on destruction.
class FakeProvider {
 public:
  // Starts the fake in `dir` with `scenario` ({"keys": [...]}) and `flags`
  // (e.g. {"--latency-ms", "50"}); throws if it does not report a port.
  // `script` replaces the project's fake_provider.py (for experiments).
  FakeProvider(const std::filesystem::path& dir, const Json& scenario,
               const std::vector<std::string>& flags, const std::string& script = "");

  int port() const { return port_; }
  std::string BaseUrl(const std::string& host_segment) const;
  pid_t pid() const { return process_->pid(); }
  // An admin call (GET /__admin/log, POST /__admin/keys, …); the JSON reply.
  Json Admin(const std::string& method, const std::string& path, const Json& body = nullptr) const;
  // A config.json pointing every provider at the fake, merged with `extra`.
  Json Config(const Json& extra) const;

 private:
  std::unique_ptr<Background> process_;
  int port_ = 0;
};

// keywardend on `home` (config.json already written there), log in
// <home>/daemon.log. Not copyable; SIGTERM on destruction.
class Daemon {
 public:
  explicit Daemon(std::filesystem::path home) : home_(std::move(home)) {}

  // Starts it and waits until `status` answers; false with the log in *why.
  bool Start(std::string* why);
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  std::filesystem::path socket() const { return home_ / "keywarden.sock"; }
  const std::filesystem::path& home() const { return home_; }
  Result<Client> Connect(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    return Client::Connect(socket(), timeout);
  }
  void Stop() { process_.reset(); }

 private:
  std::filesystem::path home_;
  std::unique_ptr<Background> process_;
};

// What the get benchmarks share: a temp dir, the fake provider and a daemon
// on <dir>/home with one DeepSeek slot, kRef, verified by the fake and
// holding secret(). Throws if any of it fails. Not copyable.
class OneSlotBench {
 public:
  static constexpr const char* kRef = "bench/deepseek";

  // With `slots` > 1, slots kRef-1 ... kRef-(slots-1) too, all with the
  // same key, each usable before this returns.
  explicit OneSlotBench(const std::string& prefix, int slots = 1);
  // kRef, then the other slots' refs.
  const std::vector<std::string>& refs() const { return refs_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path home() const { return dir_.path() / "home"; }
  const std::string& secret() const { return secret_; }
  Daemon& daemon() { return daemon_; }

 private:
  TempDir dir_;  // first: outlives the fake and the daemon
  std::string secret_;
  std::vector<std::string> refs_;
  std::unique_ptr<FakeProvider> fake_;
  Daemon daemon_;
};

// Writes `config` as <home>/config.json (creating home, mode 0700).
void WriteConfig(const std::filesystem::path& home, const Json& config);

// A well-formed DeepSeek key ("sk-" and 32 lower-case hex digits), unique
// per `n` and per process run.
std::string DeepSeekKey(int n);

}  // namespace keywarden::bench
