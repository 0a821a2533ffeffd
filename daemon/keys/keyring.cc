#include "keys/keyring.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "log.h"

namespace keywarden {
namespace {

constexpr uint32_t kDataKeyVersion = 1;
constexpr uint64_t kFingerprintSubkeyId = 1;
constexpr uint64_t kTokenSubkeyId = 2;

namespace fs = std::filesystem;

fs::path PendingFile(const fs::path& file) { return file.string() + ".new"; }

Status SyncDirectory(const fs::path& file) {
  fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  bool ok = fd >= 0 && ::fsync(fd) == 0;
  int err = errno;
  if (fd >= 0) ::close(fd);
  if (!ok) {
    return Fail(ErrorCode::kIo,
                fmt::format("cannot fsync {}: {}", dir.string(), std::strerror(err)));
  }
  return {};
}

Status RenameDurably(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Fail(
        ErrorCode::kIo,
        fmt::format("cannot rename {} to {}: {}", from.string(), to.string(), std::strerror(errno)),
        fmt::format("keep {}: keywardend finishes the rekey at its next start", from.string()));
  }
  return SyncDirectory(to);
}

}  // namespace

Keyring::Keyring(SecretBuffer data_key, uint32_t version)
    : data_key_(std::move(data_key)),
      fingerprint_key_(DeriveKey(data_key_, kFingerprintSubkeyId, "kwfinger")),
      token_key_(DeriveKey(data_key_, kTokenSubkeyId, "kwtokens")),
      version_(version) {}

Result<Keyring> Keyring::Open(KeyStore& store, const SecretBuffer& master) {
  Result<std::optional<Bytes>> wrapped = store.GetWrappedDataKey(kDataKeyVersion);
  if (!wrapped) return std::unexpected(wrapped.error());
  if (!*wrapped) {
    Keyring created = Create();
    Status stored = store.PutWrappedDataKey(kDataKeyVersion, created.Wrap(master));
    if (!stored) return std::unexpected(stored.error());
    return created;
  }
  Result<Keyring> keyring = Unwrap(**wrapped, master);
  if (!keyring) {
    return Fail(ErrorCode::kIntegrity, "the master key does not open this database",
                "the database was created with another master key: restore the matching "
                "master.key (or credential), or point --home at the right directory");
  }
  return keyring;
}

Result<Keyring> Keyring::Unwrap(std::span<const uint8_t> wrapped, const SecretBuffer& master) {
  Result<SecretBuffer> data_key = UnwrapKey(master, wrapped, kDataKeyVersion);
  if (!data_key) return std::unexpected(data_key.error());
  return Keyring(std::move(*data_key), kDataKeyVersion);
}

Keyring Keyring::Create() { return Keyring(RandomKey(), kDataKeyVersion); }

Bytes Keyring::Wrap(const SecretBuffer& master) const {
  return WrapKey(master, data_key_, version_);
}

Bytes Keyring::Seal(std::string_view secret, const RowBinding& binding) const {
  return SealSecret(data_key_, secret, binding);
}

Result<SecretBuffer> Keyring::Unseal(const SealedSecret& sealed) const {
  const RowBinding& row = sealed.binding;
  if (row.data_key_version != version_) {
    return Fail(ErrorCode::kIntegrity,
                fmt::format("the stored secret of {} version {} is sealed with unknown data key {}",
                            row.slot_ref, row.version_number, row.data_key_version),
                "the database row was altered or damaged; rotate the key or restore a backup");
  }
  Result<SecretBuffer> plain = OpenSecret(data_key_, sealed.envelope, row);
  // An envelope that opens under this row's binding but is not the secret
  // the row was written with cannot come from keywarden: the fingerprint
  // is the second lock on the same door.
  if (plain && keywarden::Fingerprint(fingerprint_key_, plain->view()) != sealed.fingerprint) {
    plain = Fail(ErrorCode::kIntegrity, "fingerprint mismatch");
  }
  if (!plain) {
    return Fail(ErrorCode::kIntegrity,
                fmt::format("the stored secret of {} version {} failed its integrity check",
                            row.slot_ref, row.version_number),
                "the database row was altered or damaged; rotate the key or restore a backup");
  }
  return plain;
}

std::optional<Bytes> Keyring::Rewrap(const SealedSecret& legacy) const {
  if (legacy.binding.data_key_version != version_) return std::nullopt;
  Result<SecretBuffer> plain = OpenLegacySecret(data_key_, legacy.envelope, legacy.binding);
  if (!plain || keywarden::Fingerprint(fingerprint_key_, plain->view()) != legacy.fingerprint) {
    return std::nullopt;
  }
  return SealSecret(data_key_, plain->view(), legacy.binding);
}

std::string Keyring::Fingerprint(std::string_view secret) const {
  return keywarden::Fingerprint(fingerprint_key_, secret);
}

Bytes Keyring::TokenHash(std::string_view token) const { return KeyedHash(token_key_, token); }

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

Result<SecretBuffer> ReplaceMasterKeyFile(
    const fs::path& file, const std::function<Status(const SecretBuffer&)>& commit) {
  const fs::path pending = PendingFile(file);
  // Left by a rekey that never committed; start-up removes those too.
  if (::unlink(pending.c_str()) != 0 && errno != ENOENT) {
    return Fail(ErrorCode::kIo,
                fmt::format("cannot remove {}: {}", pending.string(), std::strerror(errno)));
  }
  Result<SecretBuffer> key = CreateMasterKey(pending);  // fsyncs the file and its directory
  if (!key) return std::unexpected(key.error());
  if (Status committed = commit(*key); !committed) {
    ::unlink(pending.c_str());
    return std::unexpected(committed.error());
  }
  // From here the database needs the new key. If the rename or its fsync
  // fails, <file>.new survives and the next start finishes the job.
  if (Status renamed = RenameDurably(pending, file); !renamed)
    return std::unexpected(renamed.error());
  return key;
}

Status RecoverInterruptedRekey(MasterKeySource& source, const std::optional<Bytes>& wrapped) {
  if (source.origin == "credential") return {};  // credentials are never rewritten
  const fs::path pending = PendingFile(source.file);
  struct stat st{};
  if (::lstat(pending.c_str(), &st) != 0) return {};
  if (!wrapped || Keyring::Unwrap(*wrapped, source.key)) {
    ::unlink(pending.c_str());
    log::Notice("removed the new master key of a rekey that never committed",
                {{"file", pending.string()}});
    return {};
  }
  Result<SecretBuffer> next = ReadMasterKey(pending);
  if (!next) return std::unexpected(next.error());
  if (!Keyring::Unwrap(*wrapped, *next)) return {};  // neither key opens it: Open says so
  if (Status renamed = RenameDurably(pending, source.file); !renamed) return renamed;
  source.key = std::move(*next);
  log::Notice("finished an interrupted rekey", {{"file", source.file.string()}});
  return {};
}

}  // namespace keywarden
