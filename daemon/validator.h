// Runs the probe ladder over one key (DESIGN.md "Validation") and decides
// what the outcome means for its version: verified, failed, or still
// pending with a re-check scheduled.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http_client.h"
#include "probe.h"

namespace keywarden {

// What one run of the ladder observed.
struct LadderObservation {
  std::optional<Check> auth;  // absent where the endpoint has no auth probe
  std::vector<Check> models;  // one per intended model, when they were probed
  std::vector<Diagnosis> diagnoses;  // from the status rules and aliases
  // The other Mistral host accepted the key after this one refused it.
  std::optional<Diagnosis> wrong_endpoint;
  std::optional<std::chrono::milliseconds> retry_after;
  int billed_probes = 0;
};

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

// What the daemon knows about the version besides the observation.
struct DecisionContext {
  int64_t now = 0;
  int64_t created_at = 0;
  int64_t activation_window = 120;
  int attempts = 0;           // consecutive runs that were not all ok
  bool previous_auth_failed = false;  // the last run ended in an auth failure too
  std::vector<Diagnosis> previous_diagnoses;
  bool is_current = false;    // the slot serves this version now
  VersionState state = VersionState::kPending;
  const ValidationConfig* validation = nullptr;
};

struct Decision {
  VersionState state = VersionState::kPending;
  std::optional<int64_t> next_check_at;
  int attempts = 0;
  std::vector<Check> checks;
  std::vector<Diagnosis> diagnoses;
  bool definitive_failure = false;  // the key does not work as intended
  // A first auth failure being confirmed: the stored checks stand until
  // the confirmation, so a served key stays usable meanwhile.
  bool keep_previous_checks = false;
};

// The rules of DESIGN.md: an auth failure inside the activation window keeps
// the version pending; one 401 never fails a key (it is confirmed after
// retry_min); 429/5xx/timeouts are inconclusive and retried with backoff
// from retry_min to retry_max, or later when the provider says so, but
// never later than retry_max for a version not yet verified, nor than
// revalidate_every for a verified one; a version that was verified stays
// verified and becomes unusable through its failed checks.
Decision Decide(const LadderObservation& observation, const DecisionContext& context);

}  // namespace keywarden
