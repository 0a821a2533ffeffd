// The store's role that keeps the copies of exported keys (docs/copies.md):
// which files hold which version of which slot, never the secret, and the
// lookup of a version by its keyed fingerprint (key.identify). Each method
// is one transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keywarden/slot.h"
#include "keywarden/status.h"

namespace keywarden {

// One recorded copy. `fingerprint` is the keyed fingerprint of `version`
// (as in events), taken from the version when the copy is recorded.
struct CopyRecord {
  SlotRef ref;
  uint32_t owner_uid = 0;  // the slot's owner
  uint32_t uid = 0;        // who recorded it
  std::string target;      // cline, continue, roo, gemini-cli, dotenv, import
  std::string path;        // absolute
  std::string field;       // dotenv:NAME or json:/pointer
  std::string model;
  int version = 0;
  std::string fingerprint;
  int64_t recorded_at = 0;
  // Filled by ListCopies: the slot's current version, the state of
  // `version` and whether its secret was destroyed (revoked, or retired
  // past its grace).
  std::optional<int> current_version;
  VersionState version_state = VersionState::kVerified;
  bool destroyed = false;
};

// A version of one of the owner's slots whose fingerprint matched.
struct KeyMatch {
  SlotRef ref;
  int version = 0;
  VersionState state = VersionState::kVerified;
  bool current = false;
  bool destroyed = false;
};

// The copies of one owner, by ref then path.
struct CopyFilter {
  uint32_t owner_uid = 0;
  std::optional<SlotRef> ref;
};

// Copies counted from the records: stale (recorded with a version other
// than the current one, whose secret still exists) and revoked (recorded
// with a revoked or destroyed version).
struct CopyCounts {
  int64_t copies = 0;
  int64_t stale = 0;
  int64_t revoked = 0;
};

// Thread-safe. Not copyable.
class CopyStore {
 public:
  CopyStore() = default;
  CopyStore(const CopyStore&) = delete;
  CopyStore& operator=(const CopyStore&) = delete;
  virtual ~CopyStore() = default;

  // Records (or updates: one row per slot, path and field) a copy of
  // version `copy.version` of the slot `key`, taking that version's
  // fingerprint. kNotFound if the slot or the version does not exist.
  // Returns the record as stored (with the List fields).
  virtual Result<CopyRecord> RecordCopy(const SlotKey& key, const CopyRecord& copy) = 0;
  virtual Result<std::vector<CopyRecord>> ListCopies(const CopyFilter& filter) = 0;
  // Forgets the copies of `key` at `path` (every field); returns how many.
  virtual Result<int> ForgetCopies(const SlotKey& key, const std::string& path) = 0;
  // The versions of `owner_uid`'s slots whose fingerprint is `fingerprint`.
  virtual Result<std::vector<KeyMatch>> FindByFingerprint(uint32_t owner_uid,
                                                          const std::string& fingerprint) = 0;
  // Of `owner_uid`'s copies, or everyone's with nullopt.
  virtual Result<CopyCounts> CountCopies(std::optional<uint32_t> owner_uid) = 0;
};

}  // namespace keywarden
