// SqliteStore: how the data key is wrapped. The wrapped key lives in
// data_keys; passphrase mode's KDF parameters live in the meta table as
// kdf.alg, kdf.opslimit, kdf.memlimit and kdf.salt (lower-case hex), see
// docs/storage-format.md "Passphrase mode".
#include <SQLiteCpp/Statement.h>

#include <ctime>
#include <string>

#include "store/sqlite_store.h"

namespace keywarden::store {
namespace {

std::string Hex(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::optional<Bytes> Unhex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (text.size() % 2 != 0) return std::nullopt;
  Bytes out;
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::optional<std::string> ReadMeta(Connection& db, const char* key) {
  SQLite::Statement select(db, "SELECT value FROM meta WHERE key = :key");
  select.bind(":key", key);
  if (!select.executeStep()) return std::nullopt;
  return select.getColumn(0).getString();
}

void WriteMeta(Connection& db, const char* key, const std::string& value) {
  SQLite::Statement upsert(db,
                           "INSERT INTO meta (key, value) VALUES (:key, :value) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  upsert.bind(":key", key);
  upsert.bind(":value", value);
  upsert.exec();
}

Result<std::optional<KdfParams>> ReadKdf(Connection& db) {
  std::optional<std::string> alg = ReadMeta(db, "kdf.alg");
  if (!alg) return std::nullopt;
  std::optional<std::string> ops = ReadMeta(db, "kdf.opslimit");
  std::optional<std::string> mem = ReadMeta(db, "kdf.memlimit");
  std::optional<std::string> salt = ReadMeta(db, "kdf.salt");
  std::optional<Bytes> salt_bytes = salt ? Unhex(*salt) : std::nullopt;
  KdfParams params;
  try {
    if (*alg != kKdfAlgorithm || !ops || !mem || !salt_bytes) throw std::invalid_argument("kdf");
    params.opslimit = std::stoull(*ops);
    params.memlimit = std::stoull(*mem);
  } catch (const std::exception&) {
    return Fail(ErrorCode::kIntegrity, "the stored key derivation parameters are damaged",
                "restore the database from a backup");
  }
  params.salt = std::move(*salt_bytes);
  return params;
}

Bytes BlobOf(const SQLite::Column& column) {
  const auto* data = static_cast<const uint8_t*>(column.getBlob());
  return Bytes(data, data + column.getBytes());
}

// meta secrets.format: absent (a database older than migration 005) or "1"
// until UpgradeSecrets has run, then "2".
constexpr const char* kSecretFormatKey = "secrets.format";

}  // namespace

Result<SecretUpgrade> SqliteStore::UpgradeSecrets(
    const std::function<std::optional<Bytes>(const SealedSecret&)>& rewrap) {
  using R = Result<SecretUpgrade>;
  return InTransaction(Access::kWrite, "upgrade secrets", [&](Connection& db) -> R {
    SecretUpgrade done;
    if (ReadMeta(db, kSecretFormatKey).value_or("1") != "1") return done;
    done.ran = true;
    SQLite::Statement select(
        db,
        "SELECT v.id, v.envelope, v.uuid, s.env || '/' || s.name, s.provider, "
        "v.data_key_version, v.slot_id, v.number, v.fingerprint "
        "FROM versions v JOIN slots s ON s.id = v.slot_id "
        "WHERE v.envelope IS NOT NULL AND substr(v.envelope, 1, 1) = x'01' ORDER BY v.id");
    SQLite::Statement update(db, "UPDATE versions SET envelope = :envelope WHERE id = :id");
    while (select.executeStep()) {
      SealedSecret sealed;
      sealed.envelope = BlobOf(select.getColumn(1));
      sealed.binding.version_uuid = select.getColumn(2).getString();
      sealed.binding.slot_ref = select.getColumn(3).getString();
      sealed.binding.provider = select.getColumn(4).getString();
      sealed.binding.data_key_version = static_cast<uint32_t>(select.getColumn(5).getInt64());
      sealed.binding.slot_id = select.getColumn(6).getInt64();
      sealed.binding.version_number = static_cast<uint32_t>(select.getColumn(7).getInt64());
      sealed.fingerprint = select.getColumn(8).getString();
      std::optional<Bytes> envelope = rewrap(sealed);
      if (!envelope) {
        ++done.unreadable;
        continue;
      }
      update.bind(":envelope", envelope->data(), static_cast<int>(envelope->size()));
      update.bind(":id", select.getColumn(0).getInt64());
      update.exec();
      update.reset();
      ++done.rewrapped;
    }
    WriteMeta(db, kSecretFormatKey, "2");
    return done;
  });
}

Result<std::optional<KdfParams>> SqliteStore::GetKdfParams() {
  return InTransaction(Access::kRead, "read key derivation parameters",
                       [&](Connection& db) { return ReadKdf(db); });
}

Status SqliteStore::SwapWrappedDataKey(uint32_t version, const std::optional<Bytes>& expected,
                                       const Bytes& wrapped, const std::optional<KdfParams>& kdf) {
  return InTransaction(Access::kWrite, "store data key", [&](Connection& db) -> Status {
    SQLite::Statement select(db, "SELECT wrapped FROM data_keys WHERE version = :version");
    select.bind(":version", static_cast<int64_t>(version));
    std::optional<Bytes> stored;
    if (select.executeStep()) {
      const SQLite::Column blob = select.getColumn(0);
      const auto* data = static_cast<const uint8_t*>(blob.getBlob());
      stored = Bytes(data, data + blob.getBytes());
    }
    if (stored != expected) {
      return Fail(ErrorCode::kConflict,
                  "data key version " + std::to_string(version) + " changed meanwhile",
                  "another unlock or rekey finished first; try again");
    }
    SQLite::Statement write(
        db, stored ? "UPDATE data_keys SET wrapped = :wrapped WHERE version = :version"
                   : "INSERT INTO data_keys (version, wrapped, created_at) "
                     "VALUES (:version, :wrapped, :at)");
    write.bind(":version", static_cast<int64_t>(version));
    write.bind(":wrapped", wrapped.data(), static_cast<int>(wrapped.size()));
    if (!stored) write.bind(":at", static_cast<int64_t>(std::time(nullptr)));
    write.exec();
    if (kdf) {
      WriteMeta(db, "kdf.alg", std::string(kKdfAlgorithm));
      WriteMeta(db, "kdf.opslimit", std::to_string(kdf->opslimit));
      WriteMeta(db, "kdf.memlimit", std::to_string(kdf->memlimit));
      WriteMeta(db, "kdf.salt", Hex(kdf->salt));
    } else {
      db.exec("DELETE FROM meta WHERE key LIKE 'kdf.%'");
    }
    return {};
  });
}

}  // namespace keywarden::store
