// The daemon's keys: the master key (from a credential, a file or a
// passphrase) unwraps the data key; the data key seals secrets and derives
// the fingerprint key. Lives only while the daemon is unsealed.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "keywarden/config.h"
#include "keywarden/crypto.h"
#include "keywarden/key_store.h"
#include "keywarden/paths.h"

namespace keywarden {

class Keyring {
 public:
  // Unwraps data key version 1 with `master`, creating and storing a new
  // data key when the database has none. kIntegrity with a hint when the
  // master key does not open this database's data key.
  static Result<Keyring> Open(KeyStore& store, const SecretBuffer& master);
  // Unwraps data key version 1 as stored (`wrapped`); kIntegrity with no
  // hint when `master` does not open it. Touches no store: safe on a worker
  // thread.
  static Result<Keyring> Unwrap(std::span<const uint8_t> wrapped, const SecretBuffer& master);
  // A keyring over a fresh random data key (version 1), not yet stored.
  static Keyring Create();

  Keyring(Keyring&&) = default;
  Keyring& operator=(Keyring&&) = default;

  uint32_t data_key_version() const { return version_; }
  // The data key wrapped under `master`, as data_keys stores it (rekey).
  Bytes Wrap(const SecretBuffer& master) const;
  // A format-2 envelope of `secret` bound to its row.
  Bytes Seal(std::string_view secret, const RowBinding& binding) const;
  // Opens a format-2 envelope and checks that what opened has the
  // fingerprint its row records. kIntegrity, naming the slot, for any
  // failure: a damaged or edited row, an envelope moved from another row,
  // a format-1 envelope (the upgrade rewraps those once), a wrong key.
  Result<SecretBuffer> Unseal(const SealedSecret& sealed) const;
  // For Store::UpgradeSecrets: the format-2 envelope of a format-1 secret,
  // or nullopt when it does not open or does not match its fingerprint.
  std::optional<Bytes> Rewrap(const SealedSecret& legacy) const;
  std::string Fingerprint(std::string_view secret) const;
  // The keyed hash (BLAKE2b-256 under a subkey of the data key) a gateway
  // token is stored and compared as; the same token always hashes alike
  // for one data key.
  Bytes TokenHash(std::string_view token) const;

 private:
  Keyring(SecretBuffer data_key, uint32_t version);

  SecretBuffer data_key_;
  SecretBuffer fingerprint_key_;
  SecretBuffer token_key_;
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

// File-mode rekey, crash-safe (docs/systemd.md "Rekey"): the new key goes
// to `<file>.new` (fsynced), the database's wrapped data key is swapped in
// one transaction, then `<file>.new` is renamed over `<file>` and the
// directory fsynced. `commit` swaps the wrapped key; if it fails the new
// file is removed and nothing changed. Returns the new key.
Result<SecretBuffer> ReplaceMasterKeyFile(const std::filesystem::path& file,
                                          const std::function<Status(const SecretBuffer&)>& commit);

// Start-up half of the above: when `<source.file>.new` exists, the data
// key (`wrapped`; nullopt when none is stored) tells which key the database
// holds. If the old key opens it, the rekey never committed and the new
// file is deleted; if only the new key opens it, the rename is finished and
// `source.key` becomes the new key.
Status RecoverInterruptedRekey(MasterKeySource& source, const std::optional<Bytes>& wrapped);

}  // namespace keywarden
