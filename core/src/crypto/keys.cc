// Subkeys, keyed fingerprints and random identifiers.
#include <sodium.h>

#include <algorithm>
#include <array>
#include <string>

#include "crypto/internal.h"
#include "keywarden/crypto.h"

namespace keywarden {
namespace {

using crypto_internal::EnsureSodium;
using crypto_internal::Fatal;

static_assert(crypto_kdf_KEYBYTES == kKeyBytes);
static_assert(crypto_kdf_CONTEXTBYTES == 8);

// Bytes of the BLAKE2b output shown in a fingerprint: 64 bits tell keys
// apart in logs while revealing nothing useful about the secret.
constexpr size_t kFingerprintBytes = 8;

std::string Hex(const uint8_t* bytes, size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();  // the terminator sodium_bin2hex writes
  return hex;
}

}  // namespace

SecretBuffer DeriveKey(const SecretBuffer& key, uint64_t id, std::string_view context) {
  if (key.size() != crypto_kdf_KEYBYTES) Fatal("DeriveKey needs a 32-byte key");
  if (context.size() != crypto_kdf_CONTEXTBYTES) Fatal("DeriveKey needs an 8-character context");
  SecretBuffer subkey(kKeyBytes);
  const std::string ctx(context);  // the 8 bytes libsodium reads
  crypto_kdf_derive_from_key(subkey.data(), subkey.size(), id, ctx.c_str(), key.data());
  return subkey;
}

std::string Fingerprint(const SecretBuffer& fingerprint_key, std::string_view secret) {
  if (fingerprint_key.size() < crypto_generichash_KEYBYTES_MIN ||
      fingerprint_key.size() > crypto_generichash_KEYBYTES_MAX) {
    Fatal("Fingerprint needs a 16- to 64-byte key");
  }
  // The full default-length (32-byte) hash is computed and then truncated:
  // BLAKE2b's output length is a parameter, so this is what the format
  // specifies, not an 8-byte BLAKE2b.
  std::array<uint8_t, crypto_generichash_BYTES> hash;
  crypto_generichash(hash.data(), hash.size(),
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                     fingerprint_key.data(), fingerprint_key.size());
  return "kfp:" + Hex(hash.data(), kFingerprintBytes);
}

Bytes KeyedHash(const SecretBuffer& key, std::string_view data) {
  if (key.size() != kKeyBytes) Fatal("KeyedHash needs a 32-byte key");
  Bytes hash(crypto_generichash_BYTES);
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), key.data(), key.size());
  return hash;
}

bool EqualConstantTime(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  EnsureSodium();
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

SecretBuffer RandomToken() {
  constexpr size_t kRandomBytes = 32;
  SecretBuffer random(kRandomBytes);
  randombytes_buf(random.data(), random.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  const size_t encoded = sodium_base64_ENCODED_LEN(kRandomBytes, kVariant);  // with its NUL
  SecretBuffer token(kTokenPrefix.size() + encoded);
  std::copy(kTokenPrefix.begin(), kTokenPrefix.end(), token.data());
  sodium_bin2base64(reinterpret_cast<char*>(token.data() + kTokenPrefix.size()), encoded,
                    random.data(), random.size(), kVariant);
  // The buffer's size is the text's: drop the terminator sodium writes.
  return SecretBuffer::Copy(token.view().substr(0, token.size() - 1));
}

std::string RandomUuid() {
  EnsureSodium();
  std::array<uint8_t, 16> bytes;
  randombytes_buf(bytes.data(), bytes.size());
  bytes[6] = (bytes[6] & 0x0f) | 0x40;  // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80;  // RFC 4122 variant
  std::string hex = Hex(bytes.data(), bytes.size());
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace keywarden
