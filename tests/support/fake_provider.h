// The project's fake LLM provider (tests/fake_provider/), started on
// 127.0.0.1 for one test or benchmark, a client for its admin endpoints,
// and a config.json that points every provider at it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "keywarden/protocol.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace keywarden::testing {

// Stopped (SIGTERM) and its directory removed on destruction. Not copyable.
class FakeProvider {
 public:
  // Starts the fake with `scenario` ({"keys": [...], "settings": {...}}) and
  // command-line `flags` (say, {"--latency-ms", "50"}), and waits for its
  // port. `script` replaces the project's fake_provider.py (for
  // experiments). Throws std::runtime_error, with the fake's log, if it
  // reports no port within 10 s.
  explicit FakeProvider(const Json& scenario = Json::object(),
                        const std::vector<std::string>& flags = {}, const std::string& script = "");

  int port() const { return port_; }
  pid_t pid() const { return process_->pid(); }
  std::string BaseUrl(const std::string& host_segment) const;

  // An admin call (GET /__admin/log, POST /__admin/keys, ...) with `body`
  // (none if null): the JSON reply, or a discarded value if the reply is
  // not JSON. Throws std::runtime_error if the fake cannot be reached.
  Json Admin(const std::string& method, const std::string& path, const Json& body = nullptr) const;
  // Registers (or replaces) keys at run time.
  void AddKeys(const Json& keys);
  // Sets a key's sticky failure, answered in the provider's shape
  // ({"status": 429, "count": 2, "retry_after_s": 5}, or a bare status:
  // until cleared), or clears it when `item` is null (POST /__admin/fail;
  // tests/fake_provider/README.md, "Injected failures").
  void Fail(const std::string& key, const Json& item);
  // Frees the streams held by the `hold` stream setting (POST
  // /__admin/release): how many were waiting.
  int Release();
  // The request log: {"requests": [{method, host, path, auth, key_id, model,
  // status, streamed, injected, t, body}]}.
  Json Log() const;
  // Requests whose host and (if given) path match.
  int Count(const std::string& host, const std::string& path_contains = "") const;
  // Billed probes: POST requests (completions) to `host`.
  int Posts(const std::string& host) const;

  // A config.json body pointing every provider's endpoints here, merged
  // with `extra`.
  Json Endpoints(const Json& extra = Json::object()) const;
  // Endpoints() with the short validation retries and timeout tests want,
  // merged with `extra` (e.g. other validation timings).
  Json Config(const Json& extra = Json::object()) const;

 private:
  TempDir dir_{"kwfake"};  // first: outlives the process writing its log there
  std::unique_ptr<Background> process_;
  int port_ = 0;
};

// A config.json body sending every provider to a closed loopback port, so
// tests without a fake provider never reach for the network.
Json OfflineConfig();

// A well-formed key of each provider's shape (a made-up one for any other
// name), random, so unique per call.
std::string FakeKey(const std::string& provider);

}  // namespace keywarden::testing
