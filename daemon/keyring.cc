#include "keyring.h"

#include <cstdlib>
#include <fmt/format.h>

namespace keywarden {
namespace {

constexpr uint32_t kDataKeyVersion = 1;
constexpr uint64_t kFingerprintSubkeyId = 1;

}  // namespace

Keyring::Keyring(SecretBuffer data_key, uint32_t version)
    : data_key_(std::move(data_key)),
      fingerprint_key_(DeriveKey(data_key_, kFingerprintSubkeyId, "kwfinger")),
      version_(version) {}

Result<Keyring> Keyring::Open(Store& store, const SecretBuffer& master) {
  Result<std::optional<Bytes>> wrapped = store.GetWrappedDataKey(kDataKeyVersion);
  if (!wrapped) return std::unexpected(wrapped.error());
  if (!*wrapped) {
    SecretBuffer data_key = RandomKey();
    Status stored = store.PutWrappedDataKey(kDataKeyVersion, WrapKey(master, data_key, kDataKeyVersion));
    if (!stored) return std::unexpected(stored.error());
    return Keyring(std::move(data_key), kDataKeyVersion);
  }
  Result<SecretBuffer> data_key = UnwrapKey(master, **wrapped, kDataKeyVersion);
  if (!data_key) {
    return Fail(ErrorCode::kIntegrity, "the master key does not open this database",
                "the database was created with another master key: restore the matching "
                "master.key (or credential), or point --home at the right directory");
  }
  return Keyring(std::move(*data_key), kDataKeyVersion);
}

Bytes Keyring::Seal(std::string_view secret, const RowBinding& binding) const {
  return ::keywarden::Seal(data_key_, secret, BindingData(binding));
}

Result<SecretBuffer> Keyring::Unseal(const SealedSecret& sealed) const {
  if (sealed.binding.data_key_version != version_) {
    return Fail(ErrorCode::kIntegrity,
                fmt::format("secret of {} is sealed with unknown data key {}", sealed.binding.slot_ref,
                            sealed.binding.data_key_version));
  }
  Result<SecretBuffer> plain = ::keywarden::Open(data_key_, sealed.envelope, BindingData(sealed.binding));
  if (!plain) {
    return Fail(ErrorCode::kIntegrity,
                fmt::format("the stored secret of {} failed authentication", sealed.binding.slot_ref),
                "the database row was altered or damaged; rotate the key or restore a backup");
  }
  return plain;
}

std::string Keyring::Fingerprint(std::string_view secret) const {
  return keywarden::Fingerprint(fingerprint_key_, secret);
}

Result<MasterKeySource> LoadMasterKey(const Paths& paths, const Config& config, bool may_create) {
  auto try_file = [](const std::filesystem::path& file,
                     std::string origin) -> std::optional<Result<MasterKeySource>> {
    Result<SecretBuffer> key = ReadMasterKey(file);
    if (!key && key.error().code == ErrorCode::kNotFound) return std::nullopt;
    if (!key) return std::unexpected(key.error());
    return MasterKeySource{std::move(*key), std::move(origin), file};
  };
  if (const char* creds = std::getenv("CREDENTIALS_DIRECTORY"); creds && *creds) {
    if (auto found = try_file(std::filesystem::path(creds) / "master.key", "credential")) {
      return std::move(*found);
    }
  }
  if (config.master_key_file) {
    if (auto found = try_file(*config.master_key_file, "config")) return std::move(*found);
    return Fail(ErrorCode::kNotFound,
                fmt::format("master_key_file {} does not exist", config.master_key_file->string()),
                "fix master_key_file in config.json or remove it to use the state directory");
  }
  if (auto found = try_file(paths.master_key_file, "state")) return std::move(*found);
  if (!may_create) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("no master key: {} is missing but the database holds keys",
                            paths.master_key_file.string()),
                "restore master.key from your backup; without it the stored keys cannot be read");
  }
  Result<SecretBuffer> created = CreateMasterKey(paths.master_key_file);
  if (!created) return std::unexpected(created.error());
  return MasterKeySource{std::move(*created), "created", paths.master_key_file};
}

}  // namespace keywarden
