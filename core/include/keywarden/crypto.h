// Crypto with no knobs (docs/storage-format.md): XChaCha20-Poly1305-IETF
// envelopes with a version byte and a random nonce inside, keyed BLAKE2b
// fingerprints, and key wrapping. Any bad ciphertext is one opaque failure.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keywarden/secret.h"
#include "keywarden/status.h"

namespace keywarden {

inline constexpr size_t kKeyBytes = 32;
// The first byte of an envelope names its format (docs/storage-format.md):
// 1 for wrapped data keys, and for secrets sealed before the row binding
// named the slot and version number; 2 for secrets bound by BindingData.
inline constexpr uint8_t kEnvelopeVersion = 1;
inline constexpr uint8_t kSecretEnvelopeVersion = 2;

using Bytes = std::vector<uint8_t>;

// What a sealed secret is bound to. A ciphertext copied to another row
// (another slot's, or another version's of the same slot), or a row whose
// columns were edited, fails to open.
struct RowBinding {
  std::string version_uuid;
  std::string slot_ref;  // "env/name"
  std::string provider;
  uint32_t data_key_version = 1;
  int64_t slot_id = 0;          // slots.id
  uint32_t version_number = 0;  // versions.number
};

// The associated data of a format-2 secret: an unambiguous encoding of
// every field of `binding`.
std::string BindingData(const RowBinding& binding);
// The associated data of a format-1 secret: the same without slot_id and
// version_number. Only the upgrade to format 2 opens these.
std::string LegacyBindingData(const RowBinding& binding);

// Returns a fresh random 32-byte key.
SecretBuffer RandomKey();

// Envelope: version byte || 24-byte nonce || ciphertext || 16-byte tag.
// `key` must be kKeyBytes long.
Bytes Seal(const SecretBuffer& key, std::string_view plaintext, std::string_view associated_data,
           uint8_t version = kEnvelopeVersion);
// Fails with kIntegrity on any wrong key, data, version or flipped byte;
// `version` is the only envelope version accepted.
Result<SecretBuffer> Open(const SecretBuffer& key, std::span<const uint8_t> envelope,
                          std::string_view associated_data, uint8_t version = kEnvelopeVersion);

// A secret sealed for its row: format 2, associated data BindingData.
Bytes SealSecret(const SecretBuffer& key, std::string_view plaintext, const RowBinding& binding);
// Opens a format-2 secret; kIntegrity for anything else, format 1 included.
Result<SecretBuffer> OpenSecret(const SecretBuffer& key, std::span<const uint8_t> envelope,
                                const RowBinding& binding);
// Opens a format-1 secret (LegacyBindingData), for the upgrade only.
Result<SecretBuffer> OpenLegacySecret(const SecretBuffer& key, std::span<const uint8_t> envelope,
                                      const RowBinding& binding);
// The version byte of `envelope`, 0 when it is empty.
uint8_t EnvelopeVersion(std::span<const uint8_t> envelope);

// Wraps a data key under the master key, bound to its data-key version.
Bytes WrapKey(const SecretBuffer& master, const SecretBuffer& data_key, uint32_t version);
Result<SecretBuffer> UnwrapKey(const SecretBuffer& master, std::span<const uint8_t> wrapped,
                               uint32_t version);

// Derives an independent 32-byte subkey (crypto_kdf); `context` is 8 chars.
SecretBuffer DeriveKey(const SecretBuffer& key, uint64_t id, std::string_view context);

// A keyed fingerprint of a secret, safe to log: "kfp:" + 16 hex digits.
std::string Fingerprint(const SecretBuffer& fingerprint_key, std::string_view secret);

// A keyed BLAKE2b-256 of `data` (32 bytes): what the store keeps of a
// gateway token instead of its text. `key` must be kKeyBytes long.
Bytes KeyedHash(const SecretBuffer& key, std::string_view data);
// Whether `a` and `b` hold the same bytes, compared in constant time
// (sodium_memcmp); sizes are not secret and differ at once.
bool EqualConstantTime(std::span<const uint8_t> a, std::span<const uint8_t> b);

// A new gateway token: "kwt_" and 256 random bits in base64url without
// padding (47 characters in all).
SecretBuffer RandomToken();
inline constexpr std::string_view kTokenPrefix = "kwt_";

// A random RFC 4122 version 4 UUID string.
std::string RandomUuid();

// Reads a master key file: exactly 32 raw bytes. A missing file is
// kNotFound; any other size is kInvalidArgument naming the size found.
Result<SecretBuffer> ReadMasterKey(const std::filesystem::path& file);
// Creates a new master key file with mode 0600 (fails if it exists) and
// returns the key. The file and its directory are fsynced.
Result<SecretBuffer> CreateMasterKey(const std::filesystem::path& file);

// Passphrase mode (docs/storage-format.md "Passphrase mode"): the master key
// is Argon2id13 (crypto_pwhash) of the passphrase. The parameters and salt
// are stored beside the wrapped data key so that they can be raised later.
inline constexpr size_t kKdfSaltBytes = 16;
inline constexpr std::string_view kKdfAlgorithm = "argon2id13";

struct KdfParams {
  uint64_t opslimit = 0;  // passes
  uint64_t memlimit = 0;  // bytes
  Bytes salt;             // kKdfSaltBytes
  bool operator==(const KdfParams&) const = default;
};

// libsodium's MODERATE cost (3 passes, 256 MiB) with a fresh random salt.
KdfParams DefaultKdfParams();
// True when `params` cost as much as DefaultKdfParams(): otherwise the next
// successful unlock re-wraps the data key with the current parameters.
bool KdfParamsCurrent(const KdfParams& params);
// Derives the 32-byte master key. kInvalidArgument for an empty passphrase
// or parameters outside libsodium's bounds (or above 4 GiB of memory, so
// a damaged row cannot exhaust the host); kUnavailable when the memory
// cannot be had. Takes a noticeable fraction of a second at the default
// cost (docs/benchmarks.md): call it off the event loop.
Result<SecretBuffer> DeriveMasterKey(const SecretBuffer& passphrase, const KdfParams& params);

}  // namespace keywarden
