#include "keys/vault.h"

#include <fmt/format.h>

#include <memory>

#include "log.h"

namespace keywarden {
namespace {

constexpr uint32_t kDataKeyVersion = 1;

constexpr const char* kRestoreHint =
    "restore keywarden.db together with its master.key from a backup (docs/storage-format.md "
    "\"Backup and restore\"); keywardend never creates a new data key over a store that had one";

Error WrongPassphrase() {
  return {ErrorCode::kIntegrity, "wrong passphrase", "keywardend stays sealed; try again"};
}

Status CheckNewPassphrase(const SecretBuffer& passphrase) {
  if (passphrase.size() < kMinPassphraseBytes) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("the new passphrase is shorter than {} characters", kMinPassphraseBytes),
        "choose a longer passphrase");
  }
  return {};
}

// Opens the stored data key with `passphrase` under `params`.
Result<Keyring> OpenWithPassphrase(const SecretBuffer& passphrase, const KdfParams& params,
                                   const Bytes& wrapped) {
  Result<SecretBuffer> master = DeriveMasterKey(passphrase, params);
  if (!master) return std::unexpected(master.error());
  Result<Keyring> keyring = Keyring::Unwrap(wrapped, *master);
  if (!keyring) return std::unexpected(WrongPassphrase());
  return keyring;
}

}  // namespace

Vault::Vault(asio::io_context& io, KeyStore& keys, SlotStore& slots,
             std::optional<Keyring>& keyring, const Paths& paths, const Config& config)
    : io_(io),
      keys_(keys),
      slots_(slots),
      keyring_(keyring),
      paths_(paths),
      config_(config),
      passphrase_mode_(config.unlock == "passphrase") {}

Vault::~Vault() { worker_.join(); }

Status Vault::Open() {
  Result<std::optional<Bytes>> wrapped = keys_.GetWrappedDataKey(kDataKeyVersion);
  if (!wrapped) return std::unexpected(wrapped.error());
  if (!*wrapped) {
    if (Status ok = CheckNothingSealed(); !ok) return ok;
  }
  Result<std::optional<KdfParams>> kdf = keys_.GetKdfParams();
  if (!kdf) return std::unexpected(kdf.error());
  if (!passphrase_mode_) {
    if (*kdf) {
      return Fail(ErrorCode::kConflict, "this database is protected by a passphrase",
                  "set \"unlock\": \"passphrase\" in config.json, then run `keywarden unlock`");
    }
    return OpenFileMode(*wrapped);
  }
  if (*wrapped && !*kdf) {
    return Fail(ErrorCode::kConflict,
                "this database's data key is wrapped by a master key file, not a passphrase",
                "set \"unlock\": \"file\" in config.json; an existing database cannot switch "
                "to a passphrase yet");
  }
  origin_ = "passphrase";
  return {};
}

Status Vault::CheckNothingSealed() {
  Result<StoreCounts> counts = slots_.Counts(std::nullopt);
  if (!counts) return std::unexpected(counts.error());
  int versions = 0;
  for (const auto& [state, count] : counts->versions_by_state) versions += count;
  if (counts->slots == 0 && versions == 0) return {};
  return Fail(ErrorCode::kIntegrity,
              fmt::format("{} has lost its data key: it holds {} slot(s) and {} key "
                          "version(s) that no new data key could open",
                          paths_.db_file.string(), counts->slots, versions),
              kRestoreHint);
}

Status Vault::OpenFileMode(const std::optional<Bytes>& wrapped) {
  Result<MasterKeySource> master = LoadMasterKey(paths_, config_, !wrapped.has_value());
  if (!master) return std::unexpected(master.error());
  // keywardend writes <state>/master.key only on a first start, just before
  // the data key: that file without a data key means the database it went
  // with was replaced or emptied. (A credential or master_key_file may be
  // provided before the first start, so those prove nothing.)
  if (!wrapped && master->origin == "state") {
    return Fail(ErrorCode::kIntegrity,
                fmt::format("{} exists but {} holds no data key: the database that goes with "
                            "this master key was replaced or emptied",
                            master->file.string(), paths_.db_file.string()),
                kRestoreHint);
  }
  if (Status recovered = RecoverInterruptedRekey(*master, wrapped); !recovered) return recovered;
  Result<Keyring> keyring = Keyring::Open(keys_, master->key);
  if (!keyring) return std::unexpected(keyring.error());
  if (Status installed = Install(std::move(*keyring)); !installed) return installed;
  origin_ = master->origin;
  master_file_ = master->file;
  return {};
}

Status Vault::Install(Keyring keyring) {
  Result<SecretUpgrade> upgrade = keys_.UpgradeSecrets(
      [&keyring](const SealedSecret& legacy) { return keyring.Rewrap(legacy); });
  if (!upgrade) return std::unexpected(upgrade.error());
  if (upgrade->ran) {
    log::Notice("stored secrets upgraded to envelope format 2",
                {{"rewrapped", std::to_string(upgrade->rewrapped)},
                 {"unreadable", std::to_string(upgrade->unreadable)}});
  }
  if (upgrade->unreadable > 0) {
    // Left as they were: each fails its integrity check when next
    // validated or served, and its version is then marked failed.
    log::Warning("some stored secrets failed their integrity check during the upgrade",
                 {{"count", std::to_string(upgrade->unreadable)}});
  }
  keyring_.emplace(std::move(keyring));
  return {};
}

void Vault::OffLoop(std::function<Derivation()> work, std::function<void(Derivation&)> then) {
  busy_ = true;
  // The KDF takes a good part of a second and 256 MiB (docs/benchmarks.md):
  // on the event loop it
  // would stall every client and the watchdog pings.
  asio::post(worker_, [this, work = std::move(work), then = std::move(then)] {
    auto result = std::make_shared<Derivation>(work());
    asio::post(io_, [this, result, then] {
      busy_ = false;
      then(*result);
    });
  });
}

void Vault::Unlock(SecretBuffer passphrase, bool create, Done done) {
  if (!passphrase_mode_) {
    return done(
        Fail(ErrorCode::kConflict, "this daemon unlocks with a master key file, not a passphrase"));
  }
  if (keyring_) {
    return done(
        Json{{"sealed", false}, {"created", false}, {"upgraded", false}, {"already", true}});
  }
  if (busy_) return done(Fail(ErrorCode::kConflict, "an unlock or rekey is already running"));
  Result<std::optional<Bytes>> wrapped = keys_.GetWrappedDataKey(kDataKeyVersion);
  if (!wrapped) return done(std::unexpected(wrapped.error()));
  Result<std::optional<KdfParams>> kdf = keys_.GetKdfParams();
  if (!kdf) return done(std::unexpected(kdf.error()));
  if (*wrapped && !*kdf) {
    return done(
        Fail(ErrorCode::kConflict, "this database's data key is not wrapped by a passphrase"));
  }
  const bool creating = !*wrapped;
  if (creating && !create) {
    return done(Fail(ErrorCode::kNotFound, "no passphrase is set yet",
                     "run `keywarden unlock` to choose one"));
  }
  if (creating) {
    if (Status ok = CheckNewPassphrase(passphrase); !ok) return done(std::unexpected(ok.error()));
  }
  auto secret = std::make_shared<SecretBuffer>(std::move(passphrase));
  std::optional<Bytes> expected = *wrapped;
  std::optional<KdfParams> params = *kdf;
  OffLoop(
      [secret, expected, params]() -> Derivation {
        Derivation out;
        if (expected) {
          Result<Keyring> keyring = OpenWithPassphrase(*secret, *params, *expected);
          if (!keyring) return {.error = keyring.error()};
          out.keyring.emplace(std::move(*keyring));
          if (KdfParamsCurrent(*params)) return out;
        } else {
          out.keyring.emplace(Keyring::Create());
        }
        KdfParams fresh = DefaultKdfParams();
        Result<SecretBuffer> master = DeriveMasterKey(*secret, fresh);
        if (!master) return {.error = master.error()};
        out.rewrapped = out.keyring->Wrap(*master);
        out.params = std::move(fresh);
        return out;
      },
      [this, expected, done](Derivation& result) {
        if (result.error) return done(std::unexpected(*result.error));
        if (result.rewrapped) {
          Status stored =
              keys_.SwapWrappedDataKey(kDataKeyVersion, expected, *result.rewrapped, result.params);
          // A failed upgrade leaves the old, still valid wrapping in place.
          if (!stored && !expected) return done(std::unexpected(stored.error()));
          if (!stored) {
            log::Warning("could not raise the passphrase parameters",
                         {{"error", stored.error().message}});
            result.rewrapped.reset();
          }
        }
        if (Status installed = Install(std::move(*result.keyring)); !installed) {
          return done(std::unexpected(installed.error()));
        }
        bool upgraded = expected && result.rewrapped;
        log::Notice(expected ? "unlocked" : "passphrase set; unlocked",
                    {{"kdf_upgraded", upgraded ? "yes" : "no"}});
        done(Json{
            {"sealed", false}, {"created", !expected}, {"upgraded", upgraded}, {"already", false}});
      });
}

Status Vault::Seal() {
  if (!passphrase_mode_) {
    return Fail(ErrorCode::kConflict,
                "this daemon unlocks with a master key file; sealing it would not protect the keys",
                "set \"unlock\": \"passphrase\" in config.json for a daemon that can be sealed");
  }
  if (busy_) return Fail(ErrorCode::kConflict, "an unlock or rekey is running; seal after it");
  keyring_.reset();
  log::Notice("sealed");
  return {};
}

void Vault::Rekey(SecretBuffer current, SecretBuffer next, Done done) {
  if (busy_) return done(Fail(ErrorCode::kConflict, "an unlock or rekey is already running"));
  if (!passphrase_mode_) return done(RekeyFile());
  if (current.empty() || next.empty()) {
    return done(
        Fail(ErrorCode::kInvalidArgument, "rekey needs the current and the new passphrase"));
  }
  if (Status ok = CheckNewPassphrase(next); !ok) return done(std::unexpected(ok.error()));
  Result<std::optional<Bytes>> wrapped = keys_.GetWrappedDataKey(kDataKeyVersion);
  if (!wrapped) return done(std::unexpected(wrapped.error()));
  Result<std::optional<KdfParams>> kdf = keys_.GetKdfParams();
  if (!kdf) return done(std::unexpected(kdf.error()));
  if (!*wrapped || !*kdf) {
    return done(Fail(ErrorCode::kNotFound, "no passphrase is set yet",
                     "run `keywarden unlock` to choose one"));
  }
  auto old_secret = std::make_shared<SecretBuffer>(std::move(current));
  auto new_secret = std::make_shared<SecretBuffer>(std::move(next));
  Bytes expected = **wrapped;
  KdfParams params = **kdf;
  OffLoop(
      [old_secret, new_secret, expected, params]() -> Derivation {
        // The current passphrase is checked even though the daemon is
        // unlocked: holding the socket is not knowing the passphrase.
        Result<Keyring> keyring = OpenWithPassphrase(*old_secret, params, expected);
        if (!keyring) return {.error = keyring.error()};
        KdfParams fresh = DefaultKdfParams();
        Result<SecretBuffer> master = DeriveMasterKey(*new_secret, fresh);
        if (!master) return {.error = master.error()};
        return {.rewrapped = keyring->Wrap(*master), .params = std::move(fresh)};
      },
      [this, expected, done](Derivation& result) {
        if (result.error) return done(std::unexpected(*result.error));
        Status stored =
            keys_.SwapWrappedDataKey(kDataKeyVersion, expected, *result.rewrapped, result.params);
        if (!stored) return done(std::unexpected(stored.error()));
        log::Notice("rekeyed: the data key is wrapped under the new passphrase");
        done(Json{{"master_key", origin_}});
      });
}

Result<Json> Vault::RekeyFile() {
  if (origin_ == "credential") {
    return Fail(ErrorCode::kConflict, "the master key comes from a systemd credential",
                "keywardend cannot rewrite a credential; see docs/systemd.md \"Rekey\"");
  }
  if (!keyring_) return Fail(ErrorCode::kSealed, "keywardend is sealed");
  Result<std::optional<Bytes>> wrapped = keys_.GetWrappedDataKey(kDataKeyVersion);
  if (!wrapped) return std::unexpected(wrapped.error());
  Result<SecretBuffer> key = ReplaceMasterKeyFile(master_file_, [&](const SecretBuffer& master) {
    return keys_.SwapWrappedDataKey(kDataKeyVersion, *wrapped, keyring_->Wrap(master),
                                    std::nullopt);
  });
  if (!key) return std::unexpected(key.error());
  log::Notice("rekeyed: new master key file", {{"file", master_file_.string()}});
  return Json{{"master_key", origin_}, {"file", master_file_.string()}};
}

}  // namespace keywarden
