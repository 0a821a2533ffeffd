// Decides what one run of the probe ladder means for a version: verified,
// failed, or still pending with a re-check scheduled (DESIGN.md
// "Validation"). Pure: no I/O, no Asio, no clock of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "keywarden/config.h"
#include "keywarden/slot.h"

namespace keywarden {

// What one run of the ladder observed.
struct LadderObservation {
  std::optional<Check> auth;         // absent where the endpoint has no auth probe
  std::vector<Check> models;         // one per intended model, when they were probed
  std::vector<Diagnosis> diagnoses;  // from the status rules and aliases
  // The other Mistral host accepted the key after this one refused it.
  std::optional<Diagnosis> wrong_endpoint;
  std::optional<std::chrono::milliseconds> retry_after;
  int billed_probes = 0;
};

// What the daemon knows about the version besides the observation.
struct DecisionContext {
  int64_t now = 0;
  int64_t created_at = 0;
  int64_t activation_window = 120;
  int attempts = 0;                   // consecutive runs that were not all ok
  bool previous_auth_failed = false;  // the last run ended in an auth failure too
  std::vector<Diagnosis> previous_diagnoses;
  bool is_current = false;  // the slot serves this version now
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
