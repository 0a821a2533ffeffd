// SecretBuffer on libsodium's guarded heap: each buffer ends right before a
// guard page, is mlocked and excluded from core dumps, and is wiped when
// freed. Small buffers (keys, tokens) come from a pool of such blocks: a
// sodium_malloc and sodium_free cost eleven system calls (mmap, mprotect,
// mlock, madvise, munlock, munmap), a large share of the daemon's CPU per
// `get` (docs/benchmarks.md). A pooled block is wiped whole when it is released,
// stays locked and out of core dumps, and its data still ends at the guard
// page.
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
#include <vector>

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

// Released blocks of kBlockSize bytes, all zero, kept for reuse. Never
// destroyed, so that a buffer freed during exit still finds it.
class BlockPool {
 public:
  static constexpr size_t kBlockSize = 256;

  static BlockPool& Get() {
    static BlockPool* pool = new BlockPool;
    return *pool;
  }

  // A zeroed block, or nullptr when none is kept.
  void* Take() {
    std::lock_guard lock(mu_);
    if (free_.empty()) return nullptr;
    void* block = free_.back();
    free_.pop_back();
    return block;
  }

  // Takes back a block, already wiped; frees it if enough are kept.
  void Give(void* block) {
    {
      std::lock_guard lock(mu_);
      if (free_.size() < kKept) return free_.push_back(block);
    }
    sodium_free(block);
  }

 private:
  // 32 locked pages at most: well inside the default RLIMIT_MEMLOCK (8 MiB).
  static constexpr size_t kKept = 32;
  std::mutex mu_;
  std::vector<void*> free_;
};

void* AllocateBlock(size_t size) {
  void* block = sodium_malloc(size);
  if (block == nullptr) Fatal("cannot allocate secure memory (sodium_malloc failed)");
  // sodium_malloc fills with 0xdb; the contract is zeroed bytes.
  sodium_memzero(block, size);
  RecordLockState(block, size);
  return block;
}

}  // namespace

SecretBuffer::SecretBuffer(size_t size) {
  if (size == 0) return;
  EnsureSodium();
  if (size <= BlockPool::kBlockSize) {
    block_ = BlockPool::Get().Take();
    if (block_ == nullptr) block_ = AllocateBlock(BlockPool::kBlockSize);
    // The data ends where the block ends: at sodium's guard page.
    data_ = static_cast<uint8_t*>(block_) + (BlockPool::kBlockSize - size);
  } else {
    block_ = AllocateBlock(size);
    data_ = static_cast<uint8_t*>(block_);
  }
  size_ = size;
}

void SecretBuffer::Release() {
  if (block_ == nullptr) return;
  if (size_ <= BlockPool::kBlockSize) {  // a pooled block (see the constructor)
    sodium_memzero(block_, BlockPool::kBlockSize);
    BlockPool::Get().Give(block_);
  } else {
    sodium_free(block_);  // zeroes the region before unlocking and unmapping it
  }
  block_ = nullptr;
  data_ = nullptr;
  size_ = 0;
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
    : block_(std::exchange(other.block_, nullptr)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    block_ = std::exchange(other.block_, nullptr);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBuffer::~SecretBuffer() { Release(); }

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
