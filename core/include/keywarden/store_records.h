// Records that more than one role of the store reads or writes (see
// store.h): the audit event and a secret as stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "keywarden/crypto.h"

namespace keywarden {

// An audit record. Never holds a secret: `fingerprint` is keyed.
struct Event {
  int64_t id = 0;
  int64_t at = 0;                     // unix seconds
  uint32_t uid = 0;                   // who acted
  std::optional<uint32_t> owner_uid;  // the slot's owner, for per-user views
  std::string action;                 // add, get, rm, denied_connection, ...
  std::string ref;                    // "env/name" or ""
  std::optional<int> version;
  std::string fingerprint;
  std::string detail;
  // Set on a day's served secrets folded into one row (EventLog::TrimEvents):
  // how many there were; `at` is then the start of that UTC day.
  std::optional<int64_t> count;
};

// A secret as stored: the envelope plus what it is bound to, and the keyed
// fingerprint its row records (what opens must match it).
struct SealedSecret {
  Bytes envelope;
  RowBinding binding;
  std::string fingerprint;
};

}  // namespace keywarden
