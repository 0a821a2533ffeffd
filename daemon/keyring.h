// The daemon's keys: the master key (from a credential, a file or a
// passphrase) unwraps the data key; the data key seals secrets and derives
// the fingerprint key. Lives only while the daemon is unsealed.
#pragma once

#include <filesystem>
#include <string>

#include "keywarden/config.h"
#include "keywarden/crypto.h"
#include "keywarden/paths.h"
#include "keywarden/store.h"

namespace keywarden {

class Keyring {
 public:
  // Unwraps data key version 1 with `master`, creating and storing a new
  // data key when the database has none. kIntegrity with a hint when the
  // master key does not open this database's data key.
  static Result<Keyring> Open(Store& store, const SecretBuffer& master);

  Keyring(Keyring&&) = default;
  Keyring& operator=(Keyring&&) = default;

  uint32_t data_key_version() const { return version_; }
  Bytes Seal(std::string_view secret, const RowBinding& binding) const;
  Result<SecretBuffer> Unseal(const SealedSecret& sealed) const;
  std::string Fingerprint(std::string_view secret) const;

 private:
  Keyring(SecretBuffer data_key, uint32_t version);

  SecretBuffer data_key_;
  SecretBuffer fingerprint_key_;
  uint32_t version_ = 1;
};

// Where the master key came from, for the log and `status`.
struct MasterKeySource {
  SecretBuffer key;
  std::string origin;  // "credential", "config", "state", "created"
  std::filesystem::path file;
};

// First found wins: $CREDENTIALS_DIRECTORY/master.key, config.master_key_file,
// <state>/master.key. When none exists and `may_create` (a database with no
// data key yet), creates <state>/master.key with mode 0600.
Result<MasterKeySource> LoadMasterKey(const Paths& paths, const Config& config, bool may_create);

}  // namespace keywarden
