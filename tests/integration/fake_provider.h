// The project's fake LLM provider (tests/fake_provider/fake_provider.py),
// started on 127.0.0.1 for one test, plus a tiny HTTP client for its admin
// endpoints and a config.json that points every provider at it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "keywarden/protocol.h"

namespace keywarden::testing {

class FakeProvider {
 public:
  // Starts the fake with `scenario` ({"keys": [...]}) and waits for its port.
  explicit FakeProvider(const Json& scenario = Json::object(), const std::string& extra_flag = "");
  ~FakeProvider();
  FakeProvider(const FakeProvider&) = delete;
  FakeProvider& operator=(const FakeProvider&) = delete;

  int port() const { return port_; }
  std::string BaseUrl(const std::string& host_segment) const;

  // Registers (or replaces) keys at run time.
  void AddKeys(const Json& keys);
  // The request log: {"requests": [{method, host, path, auth, model, status, t, body}]}.
  Json Log() const;
  // Requests whose host and (if given) path match.
  int Count(const std::string& host, const std::string& path_contains = "") const;
  // Billed probes: POST requests (completions) to `host`.
  int Posts(const std::string& host) const;

  // A config.json body pointing every provider's endpoints here, merged
  // with `extra` (e.g. validation timings).
  Json Config(const Json& extra = Json::object()) const;

 private:
  std::string Request(const std::string& method, const std::string& path,
                      const std::string& body) const;

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A config.json body sending every provider to a closed loopback port, so
// tests without a fake provider never reach for the network.
Json OfflineConfig();

// Writes `config` as <home>/config.json.
void WriteConfig(const std::filesystem::path& home, const Json& config);

}  // namespace keywarden::testing
