// The slot model of DESIGN.md: a slot ENV/NAME holds versions of one key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keywarden/status.h"

namespace keywarden {

// ENV/NAME, each matching [a-z0-9][a-z0-9_-]{0,62}.
struct SlotRef {
  std::string env;
  std::string name;

  std::string str() const { return env + "/" + name; }
  // Accepts "ENV/NAME", or "NAME" when `default_env` is not empty.
  static Result<SlotRef> Parse(std::string_view text, std::string_view default_env = {});
  friend bool operator==(const SlotRef&, const SlotRef&) = default;
};

// A slot's identity in the store. Names are per owner: two users may both
// have dev/openrouter, and a ref alone names a slot only among one owner's.
struct SlotKey {
  uint32_t owner_uid = 0;
  SlotRef ref;
  friend bool operator==(const SlotKey&, const SlotKey&) = default;
};

// True if `part` is a valid ENV or NAME.
bool IsValidRefPart(std::string_view part);

enum class VersionState { kPending, kVerified, kFailed, kRetired, kRevoked };
std::string_view VersionStateName(VersionState state);
std::optional<VersionState> VersionStateFromName(std::string_view name);

// The outcome of probing one model (DESIGN.md "Validation").
enum class Outcome { kOk, kDenied, kNotFound, kAuthFailed, kNoCredit, kRateLimited, kUnavailable };
std::string_view OutcomeName(Outcome outcome);
std::optional<Outcome> OutcomeFromName(std::string_view name);

struct Diagnosis {
  std::string code;     // e.g. "model_denied"
  std::string message;  // a human hint; never a secret
  friend bool operator==(const Diagnosis&, const Diagnosis&) = default;
};

struct Check {
  std::string model;  // "" for the auth probe
  Outcome outcome = Outcome::kOk;
  int http_status = 0;  // 0 when no HTTP answer came
  std::string detail;
  int64_t checked_at = 0;  // unix seconds
};

// Durations in seconds.
struct RotationPolicy {
  int64_t rotate_every = 90 * 86400;
  int64_t remind_before = 7 * 86400;
  int64_t grace = 7 * 86400;
};

struct Version {
  int64_t id = 0;  // row id
  int number = 0;  // 1, 2, ... within the slot
  std::string uuid;
  VersionState state = VersionState::kPending;
  std::string mask;         // "sk-or-v1-…cdef": shown to the owner
  std::string fingerprint;  // keyed, "kfp:…": logged in events
  uint32_t data_key_version = 1;
  int64_t created_at = 0;
  std::optional<int64_t> verified_at;
  std::optional<int64_t> retired_at;
  std::optional<int64_t> next_check_at;
  int check_attempts = 0;
  int billed_probes = 0;
  std::vector<Check> checks;  // the latest check of each model
  std::vector<Diagnosis> diagnoses;
};

struct Slot {
  int64_t id = 0;
  SlotRef ref;
  std::string provider;
  std::string endpoint = "default";  // a named endpoint or a URL
  std::vector<std::string> models;
  std::string probe = "complete";  // "complete" or "list"
  RotationPolicy policy;
  uint32_t owner_uid = 0;
  std::optional<int> current_version;
  std::optional<int> pending_version;
  int64_t created_at = 0;
  std::vector<Version> versions;  // oldest first; filled by Store::GetSlot

  SlotKey key() const { return {owner_uid, ref}; }
  const Version* FindVersion(int number) const;
  const Version* Newest() const { return versions.empty() ? nullptr : &versions.back(); }
  // Usable: the current version is verified and its latest check is not a
  // definitive failure.
  bool Usable() const;
  // Why the slot is not usable, for errors and `show`; "" when usable.
  std::string UnusableReason() const;
};

}  // namespace keywarden
