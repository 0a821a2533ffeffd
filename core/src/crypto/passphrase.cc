// Passphrase mode: the master key is Argon2id13 of the passphrase
// (docs/storage-format.md "Passphrase mode").
#include <sodium.h>

#include <string>

#include "crypto/internal.h"
#include "keywarden/crypto.h"

namespace keywarden {
namespace {

using crypto_internal::EnsureSodium;

static_assert(crypto_pwhash_SALTBYTES == kKdfSaltBytes);
static_assert(crypto_pwhash_BYTES_MIN <= kKeyBytes);

// A tampered or damaged parameter row must not make the daemon allocate
// the whole machine: libsodium itself would accept up to 4 TiB.
constexpr uint64_t kMaxMemlimit = uint64_t{4} << 30;

}  // namespace

KdfParams DefaultKdfParams() {
  EnsureSodium();
  KdfParams params;
  params.opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
  params.memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
  params.salt.resize(kKdfSaltBytes);
  randombytes_buf(params.salt.data(), params.salt.size());
  return params;
}

bool KdfParamsCurrent(const KdfParams& params) {
  return params.opslimit >= crypto_pwhash_OPSLIMIT_MODERATE &&
         params.memlimit >= crypto_pwhash_MEMLIMIT_MODERATE;
}

Result<SecretBuffer> DeriveMasterKey(const SecretBuffer& passphrase, const KdfParams& params) {
  EnsureSodium();
  if (passphrase.empty()) return Fail(ErrorCode::kInvalidArgument, "the passphrase is empty");
  if (passphrase.size() > crypto_pwhash_PASSWD_MAX) {
    return Fail(ErrorCode::kInvalidArgument, "the passphrase is too long");
  }
  if (params.salt.size() != kKdfSaltBytes || params.opslimit < crypto_pwhash_OPSLIMIT_MIN ||
      params.opslimit > crypto_pwhash_OPSLIMIT_MAX ||
      params.memlimit < crypto_pwhash_MEMLIMIT_MIN || params.memlimit > kMaxMemlimit) {
    return Fail(ErrorCode::kInvalidArgument,
                "the stored key derivation parameters are out of range (opslimit " +
                    std::to_string(params.opslimit) + ", memlimit " +
                    std::to_string(params.memlimit) + ")");
  }
  SecretBuffer key(kKeyBytes);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.data()),
                    passphrase.size(), params.salt.data(), params.opslimit,
                    static_cast<size_t>(params.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    // libsodium fails here only when it cannot allocate memlimit bytes.
    return Fail(ErrorCode::kUnavailable,
                "not enough memory for the key derivation (" +
                    std::to_string(params.memlimit >> 20) + " MiB)",
                "free memory, or raise MemoryMax= if the service sets one");
  }
  return key;
}

}  // namespace keywarden
