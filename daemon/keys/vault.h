// The daemon's master key and its sealed state (docs/systemd.md "Master
// key"). File mode: the master key comes from a credential or a key file
// at start, and `rekey` replaces the key file. Passphrase mode ("unlock":
// "passphrase" in config.json): the daemon starts sealed; `unlock` derives
// the master key with Argon2id on a worker thread and opens the keyring,
// `seal` drops it, `rekey` changes the passphrase.
//
// Every method is called on the io_context's thread, and every callback
// runs there: the keyring (shared with the request handler and the
// validation service) is only ever touched from the event loop.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "keys/keyring.h"
#include "keywarden/config.h"
#include "keywarden/key_store.h"
#include "keywarden/paths.h"
#include "keywarden/protocol.h"
#include "keywarden/slot_store.h"
#include "net/asio.h"

namespace keywarden {

// A new passphrase is at least this many bytes.
inline constexpr size_t kMinPassphraseBytes = 8;

class Vault {
 public:
  using Done = std::function<void(Result<Json>)>;

  // `slots` only to find a database that lost its data key but holds slots.
  Vault(asio::io_context& io, KeyStore& keys, SlotStore& slots, std::optional<Keyring>& keyring,
        const Paths& paths, const Config& config);
  Vault(const Vault&) = delete;
  Vault& operator=(const Vault&) = delete;
  ~Vault();  // waits for a running key derivation

  // Start-up. File mode: loads the master key (finishing or discarding an
  // interrupted rekey), creating one for a new database, and opens the
  // keyring. Passphrase mode: stays sealed. Either mode refuses a database
  // whose data key is wrapped the other way, with a hint.
  Status Open();

  bool passphrase_mode() const { return passphrase_mode_; }
  // Where the master key comes from: "credential", "config", "state",
  // "created" or "passphrase".
  const std::string& origin() const { return origin_; }

  // Passphrase mode. A database with no passphrase yet answers kNotFound
  // unless `create`, which sets `passphrase` (kMinPassphraseBytes or more)
  // as its first. A wrong passphrase is kIntegrity "wrong passphrase" and
  // the daemon stays sealed. Parameters below the current default are
  // raised on the way (the data key is rewrapped). Already unlocked: done
  // at once. kConflict in file mode or while another unlock or rekey runs.
  // Result: {"sealed": false, "created": bool, "upgraded": bool,
  // "already": bool}.
  void Unlock(SecretBuffer passphrase, bool create, Done done);

  // Passphrase mode: forgets the keyring (its buffers wipe themselves);
  // only status and unlock are answered until the next unlock. kConflict
  // in file mode, where the key file would unlock it again anyway.
  Status Seal();

  // Moves the data key to a new master key; secrets are not touched.
  // Passphrase mode: `current` must open the database, `next` becomes the
  // passphrase. File mode: both empty; a new random key replaces the key
  // file crash-safely. Result: {"master_key": origin, "file": path?}.
  void Rekey(SecretBuffer current, SecretBuffer next, Done done);

 private:
  // What a key derivation hands back to the event loop.
  struct Derivation {
    std::optional<Keyring> keyring;   // opened with the passphrase
    std::optional<Bytes> rewrapped;   // data key under a new master key
    std::optional<KdfParams> params;  // of `rewrapped`
    std::optional<Error> error;
  };

  // Runs `work` on the worker thread, then `then` on the event loop.
  void OffLoop(std::function<Derivation()> work, std::function<void(Derivation&)> then);
  Status OpenFileMode(const std::optional<Bytes>& wrapped);
  // For a database without a data key: kIntegrity if it holds slots or
  // versions all the same (the data key was deleted).
  Status CheckNothingSealed();
  // Makes `keyring` the daemon's, after the one-time upgrade of the stored
  // secrets to envelope format 2 (KeyStore::UpgradeSecrets). On an error the
  // daemon stays sealed and nothing changed.
  Status Install(Keyring keyring);
  Result<Json> RekeyFile();

  asio::io_context& io_;
  KeyStore& keys_;
  SlotStore& slots_;
  std::optional<Keyring>& keyring_;
  const Paths& paths_;
  const Config& config_;
  const bool passphrase_mode_;
  std::string origin_;
  std::filesystem::path master_file_;  // file mode: where the key came from
  bool busy_ = false;                  // a derivation runs; guarded by the loop
  asio::thread_pool worker_{1};
};

}  // namespace keywarden
