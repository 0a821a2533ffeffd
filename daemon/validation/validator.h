// Runs the probe ladder over one key (DESIGN.md "Validation"); what the
// outcome means for the version is decided in decision.h.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/http_client.h"
#include "validation/decision.h"
#include "validation/probe.h"

namespace keywarden {

struct LadderInput {
  ProbeTarget target;
  std::vector<std::string> models;
  bool list_only = false;  // --probe list: free calls only
  std::shared_ptr<SecretBuffer> key;
};

class Validator {
 public:
  Validator(HttpClient& http, const Catalogue& catalogue, const Config& config)
      : http_(http), catalogue_(catalogue), config_(config) {}

  // Sends the auth probe, then (if the key authenticated) one model probe
  // per model or the list probe, the alias list where the provider has
  // aliases, and on a Mistral 401 the other host. `done` runs once on the
  // io_context.
  void Run(LadderInput input, std::function<void(LadderObservation)> done);

 private:
  HttpClient& http_;
  const Catalogue& catalogue_;
  const Config& config_;
};

}  // namespace keywarden
