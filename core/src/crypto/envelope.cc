// Envelopes and wrapped keys (docs/storage-format.md):
//   version || 24-byte random nonce || XChaCha20-Poly1305-IETF ciphertext || 16-byte tag
#include <sodium.h>

#include <cstdint>
#include <limits>
#include <string>

#include "crypto/internal.h"
#include "keywarden/crypto.h"

namespace keywarden {
namespace {

using crypto_internal::EnsureSodium;
using crypto_internal::Fatal;

constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kHeaderBytes = 1 + kNonceBytes;
static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kNonceBytes == 24 && kTagBytes == 16);

// Domain labels, the first field of every associated data; they keep a
// secret envelope from opening as a wrapped key and vice versa.
constexpr std::string_view kSecretDomain = "keywarden-secret-v2";
constexpr std::string_view kLegacySecretDomain = "keywarden-secret-v1";
constexpr std::string_view kDataKeyDomain = "keywarden-data-key-v1";

void AppendU32(std::string& out, uint32_t value) {
  out.push_back(static_cast<char>(value >> 24));
  out.push_back(static_cast<char>(value >> 16));
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

// A field is its length as a big-endian u32, then its bytes, so no two
// different field lists encode to the same string.
void AppendField(std::string& out, std::string_view field) {
  if (field.size() > std::numeric_limits<uint32_t>::max()) Fatal("associated data field too long");
  AppendU32(out, static_cast<uint32_t>(field.size()));
  out.append(field);
}

void AppendU64(std::string& out, uint64_t value) {
  AppendU32(out, static_cast<uint32_t>(value >> 32));
  AppendU32(out, static_cast<uint32_t>(value));
}

std::string DataKeyData(uint32_t version) {
  std::string out;
  AppendField(out, kDataKeyDomain);
  AppendU32(out, version);
  return out;
}

// Seal and WrapKey have no error channel: a wrong-size key is a caller bug.
void RequireKey(const SecretBuffer& key, const char* what) {
  if (key.size() != kKeyBytes) Fatal(std::string(what) + " needs a 32-byte key");
}

// The one answer for every bad envelope, so a caller (or an attacker
// watching replies) cannot tell a wrong key from a flipped byte.
std::unexpected<Error> IntegrityFailure() {
  return Fail(ErrorCode::kIntegrity, "ciphertext failed authentication");
}

}  // namespace

namespace {

// The fields both formats bind, under their domain label.
std::string BindingFields(std::string_view domain, const RowBinding& binding) {
  std::string out;
  AppendField(out, domain);
  AppendField(out, binding.version_uuid);
  AppendField(out, binding.slot_ref);
  AppendField(out, binding.provider);
  AppendU32(out, binding.data_key_version);
  return out;
}

}  // namespace

std::string LegacyBindingData(const RowBinding& binding) {
  return BindingFields(kLegacySecretDomain, binding);
}

std::string BindingData(const RowBinding& binding) {
  std::string out = BindingFields(kSecretDomain, binding);
  // Fixed width after the last length-prefixed field: still unambiguous.
  AppendU64(out, static_cast<uint64_t>(binding.slot_id));
  AppendU32(out, binding.version_number);
  return out;
}

Bytes SealSecret(const SecretBuffer& key, std::string_view plaintext, const RowBinding& binding) {
  return Seal(key, plaintext, BindingData(binding), kSecretEnvelopeVersion);
}

Result<SecretBuffer> OpenSecret(const SecretBuffer& key, std::span<const uint8_t> envelope,
                                const RowBinding& binding) {
  return Open(key, envelope, BindingData(binding), kSecretEnvelopeVersion);
}

Result<SecretBuffer> OpenLegacySecret(const SecretBuffer& key, std::span<const uint8_t> envelope,
                                      const RowBinding& binding) {
  return Open(key, envelope, LegacyBindingData(binding), kEnvelopeVersion);
}

uint8_t EnvelopeVersion(std::span<const uint8_t> envelope) {
  return envelope.empty() ? 0 : envelope[0];
}

SecretBuffer RandomKey() {
  SecretBuffer key(kKeyBytes);
  crypto_aead_xchacha20poly1305_ietf_keygen(key.data());
  return key;
}

Bytes Seal(const SecretBuffer& key, std::string_view plaintext, std::string_view associated_data,
           uint8_t version) {
  RequireKey(key, "Seal");
  EnsureSodium();
  Bytes envelope(kHeaderBytes + plaintext.size() + kTagBytes);
  envelope[0] = version;
  // A fresh random nonce on every call: 192 bits make collisions negligible
  // without any counter state to lose across restarts.
  randombytes_buf(envelope.data() + 1, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      envelope.data() + kHeaderBytes, &written,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(associated_data.data()), associated_data.size(),
      nullptr, envelope.data() + 1, key.data());
  return envelope;
}

Result<SecretBuffer> Open(const SecretBuffer& key, std::span<const uint8_t> envelope,
                          std::string_view associated_data, uint8_t version) {
  if (key.size() != kKeyBytes) {
    return Fail(ErrorCode::kInternal,
                "open needs a 32-byte key, got " + std::to_string(key.size()) + " bytes");
  }
  if (envelope.size() < kHeaderBytes + kTagBytes || envelope[0] != version) {
    return IntegrityFailure();
  }
  // Decrypt straight into secure memory: the plaintext never exists elsewhere.
  SecretBuffer plaintext(envelope.size() - kHeaderBytes - kTagBytes);
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plaintext.data(), &written, nullptr, envelope.data() + kHeaderBytes,
          envelope.size() - kHeaderBytes,
          reinterpret_cast<const unsigned char*>(associated_data.data()), associated_data.size(),
          envelope.data() + 1, key.data()) != 0) {
    return IntegrityFailure();
  }
  return plaintext;
}

Bytes WrapKey(const SecretBuffer& master, const SecretBuffer& data_key, uint32_t version) {
  RequireKey(data_key, "WrapKey");
  return Seal(master, data_key.view(), DataKeyData(version));
}

Result<SecretBuffer> UnwrapKey(const SecretBuffer& master, std::span<const uint8_t> wrapped,
                               uint32_t version) {
  Result<SecretBuffer> data_key = Open(master, wrapped, DataKeyData(version));
  if (!data_key) return data_key;
  // Authentic but not a key: only a writer that broke WrapKey's contract
  // could produce this, and it must not be used as one.
  if (data_key->size() != kKeyBytes) return IntegrityFailure();
  return data_key;
}

}  // namespace keywarden
