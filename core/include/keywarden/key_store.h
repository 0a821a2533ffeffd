// The store's role that keeps what the master key unlocks: the wrapped data
// key and, in passphrase mode, the parameters the master key is derived
// with. Each method is one transaction: it happens whole or not at all, and
// it has happened durably when it returns success.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "keywarden/crypto.h"
#include "keywarden/status.h"
#include "keywarden/store_records.h"

namespace keywarden {

// What KeyStore::UpgradeSecrets did.
struct SecretUpgrade {
  bool ran = false;    // false: every secret was format 2 already
  int rewrapped = 0;   // format-1 secrets now format 2
  int unreadable = 0;  // format-1 secrets that did not open, left as they were
};

// Thread-safe. Not copyable.
class KeyStore {
 public:
  KeyStore() = default;
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;
  virtual ~KeyStore() = default;

  // The wrapped data key of `version`, or nullopt if none was stored yet.
  virtual Result<std::optional<Bytes>> GetWrappedDataKey(uint32_t version) = 0;
  // Stores the wrapped data key; kAlreadyExists if that version exists.
  virtual Status PutWrappedDataKey(uint32_t version, const Bytes& wrapped) = 0;
  // Sets data key `version` to `wrapped` and the KDF parameters to `kdf`
  // (nullopt removes them) in one transaction, if the stored wrapped key is
  // still `expected` (nullopt: none stored yet); kConflict otherwise, and
  // nothing changes. First unlock and rekey are thus all or nothing, and
  // two of them can never overwrite each other's data key.
  virtual Status SwapWrappedDataKey(uint32_t version, const std::optional<Bytes>& expected,
                                    const Bytes& wrapped, const std::optional<KdfParams>& kdf) = 0;
  // Passphrase mode: the parameters the master key is derived with, or
  // nullopt when the master key comes from a key file or credential.
  virtual Result<std::optional<KdfParams>> GetKdfParams() = 0;

  // The one-time upgrade of stored secrets to envelope format 2
  // (docs/storage-format.md "Upgrade to format 2"). Until it has run (the
  // stored secrets format is below 2), calls `rewrap` with every stored
  // secret whose envelope is format 1, stores the envelope it returns
  // (nullopt: it did not open; the row is left as it is) and records
  // format 2, all in one write transaction. Once it has run it does
  // nothing: a format-1 envelope written into a row later is never
  // rewrapped. `rewrap` must not call the store.
  virtual Result<SecretUpgrade> UpgradeSecrets(
      const std::function<std::optional<Bytes>(const SealedSecret&)>& rewrap) = 0;
};

}  // namespace keywarden
