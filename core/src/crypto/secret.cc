// SecretBuffer on libsodium's guarded heap: each buffer sits right before a
// guard page, is mlocked and excluded from core dumps, and is wiped by
// sodium_free.
#include "keywarden/secret.h"

#include <sodium.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

#include "crypto/internal.h"

namespace keywarden {
namespace crypto_internal {

void EnsureSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    // sodium_init returns 1 when already initialised (e.g. by another
    // library in the process), which is fine.
    if (sodium_init() < 0) Fatal("cannot initialise libsodium");
  });
}

void Fatal(std::string_view what) {
  std::fprintf(stderr, "keywarden: fatal: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

}  // namespace crypto_internal

namespace {

using crypto_internal::EnsureSodium;
using crypto_internal::Fatal;

// Whether the most recent non-empty allocation is mlocked. sodium_malloc
// ignores an mlock failure (e.g. RLIMIT_MEMLOCK exhausted), so it is probed.
std::atomic<bool> g_last_allocation_locked{false};

// mlock of pages sodium_malloc already locked succeeds without counting them
// twice against RLIMIT_MEMLOCK, and fails exactly when sodium_malloc's own
// mlock failed: one cheap syscall tells which happened. It is a raw syscall
// because sanitizer runtimes replace mlock() with a no-op that reports success.
void RecordLockState(void* data, size_t size) {
  g_last_allocation_locked.store(::syscall(SYS_mlock, data, size) == 0, std::memory_order_relaxed);
}

}  // namespace

SecretBuffer::SecretBuffer(size_t size) {
  if (size == 0) return;
  EnsureSodium();
  void* data = sodium_malloc(size);
  if (data == nullptr) Fatal("cannot allocate secure memory (sodium_malloc failed)");
  // sodium_malloc fills with 0xdb; the contract is zeroed bytes.
  sodium_memzero(data, size);
  RecordLockState(data, size);
  data_ = static_cast<uint8_t*>(data);
  size_ = size;
}

SecretBuffer SecretBuffer::Copy(std::string_view bytes) {
  SecretBuffer buffer(bytes.size());
  if (!bytes.empty()) std::memcpy(buffer.data_, bytes.data(), bytes.size());
  return buffer;
}

SecretBuffer SecretBuffer::Take(std::string& source) {
  SecretBuffer buffer = Copy(source);
  Wipe(source);
  return buffer;
}

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) sodium_free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBuffer::~SecretBuffer() {
  // sodium_free zeroes the region before unlocking and unmapping it.
  if (data_ != nullptr) sodium_free(data_);
}

bool SecretBuffer::Equals(const SecretBuffer& other) const {
  // Lengths are not secret; only the contents are compared in constant time.
  if (size_ != other.size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(data_, other.data_, size_) == 0;
}

void Wipe(std::string& s) {
  // Growing to capacity (no reallocation) makes the stale bytes past size()
  // addressable too, so a secret that was shortened in place is wiped whole.
  s.resize(s.capacity());
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

bool SecureMemoryLocked() { return g_last_allocation_locked.load(std::memory_order_relaxed); }

}  // namespace keywarden
