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
inline constexpr uint8_t kEnvelopeVersion = 1;

using Bytes = std::vector<uint8_t>;

// What a sealed secret is bound to. A ciphertext copied to another row, or a
// row whose columns were edited, fails to open.
struct RowBinding {
  std::string version_uuid;
  std::string slot_ref;  // "env/name"
  std::string provider;
  uint32_t data_key_version = 1;
};

// The associated data for a row: an unambiguous encoding of `binding`.
std::string BindingData(const RowBinding& binding);

// Returns a fresh random 32-byte key.
SecretBuffer RandomKey();

// Envelope: version byte (1) || 24-byte nonce || ciphertext || 16-byte tag.
// `key` must be kKeyBytes long.
Bytes Seal(const SecretBuffer& key, std::string_view plaintext, std::string_view associated_data);
// Fails with kIntegrity on any wrong key, data, version or flipped byte.
Result<SecretBuffer> Open(const SecretBuffer& key, std::span<const uint8_t> envelope,
                          std::string_view associated_data);

// Wraps a data key under the master key, bound to its data-key version.
Bytes WrapKey(const SecretBuffer& master, const SecretBuffer& data_key, uint32_t version);
Result<SecretBuffer> UnwrapKey(const SecretBuffer& master, std::span<const uint8_t> wrapped,
                               uint32_t version);

// Derives an independent 32-byte subkey (crypto_kdf); `context` is 8 chars.
SecretBuffer DeriveKey(const SecretBuffer& key, uint64_t id, std::string_view context);

// A keyed fingerprint of a secret, safe to log: "kfp:" + 16 hex digits.
std::string Fingerprint(const SecretBuffer& fingerprint_key, std::string_view secret);

// A random RFC 4122 version 4 UUID string.
std::string RandomUuid();

// Reads a master key file: exactly 32 raw bytes. A missing file is
// kNotFound; any other size is kInvalidArgument naming the size found.
Result<SecretBuffer> ReadMasterKey(const std::filesystem::path& file);
// Creates a new master key file with mode 0600 (fails if it exists) and
// returns the key. The file and its directory are fsynced.
Result<SecretBuffer> CreateMasterKey(const std::filesystem::path& file);

}  // namespace keywarden
