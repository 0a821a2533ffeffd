#include "http/http_client_memory.h"

#include <curl/curl.h>
#include <string.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>

namespace keywarden::http_memory {
namespace {

// The header before each block: its size, padded so that the block keeps
// malloc's alignment.
constexpr size_t kHeader = alignof(std::max_align_t);
static_assert(kHeader >= sizeof(size_t));

std::atomic<FreeObserver> free_observer{nullptr};

unsigned char* BaseOf(void* block) { return static_cast<unsigned char*>(block) - kHeader; }

size_t SizeOf(void* block) {
  size_t size = 0;
  std::memcpy(&size, BaseOf(block), sizeof size);
  return size;
}

}  // namespace

void* Allocate(size_t size) {
  if (size > std::numeric_limits<size_t>::max() - kHeader) return nullptr;
  auto* base = static_cast<unsigned char*>(std::malloc(kHeader + size));
  if (base == nullptr) return nullptr;
  std::memcpy(base, &size, sizeof size);
  return base + kHeader;
}

void Free(void* block) {
  if (block == nullptr) return;
  const size_t size = SizeOf(block);
  explicit_bzero(block, size);
  if (FreeObserver observer = free_observer.load(std::memory_order_relaxed)) observer(block, size);
  std::free(BaseOf(block));
}

void* Reallocate(void* block, size_t size) {
  if (block == nullptr) return Allocate(size);
  if (size == 0) {
    Free(block);
    return nullptr;
  }
  // Never realloc(): it may move the bytes and free the old block unwiped.
  const size_t old_size = SizeOf(block);
  if (size <= old_size) {
    // Shrinking in place: the tail is wiped now, since Free will only wipe
    // `size` bytes.
    explicit_bzero(static_cast<unsigned char*>(block) + size, old_size - size);
    std::memcpy(BaseOf(block), &size, sizeof size);
    return block;
  }
  void* grown = Allocate(size);
  if (grown == nullptr) return nullptr;  // the old block stays valid, as realloc's does
  std::memcpy(grown, block, old_size);
  Free(block);
  return grown;
}

char* Duplicate(const char* text) {
  const size_t size = std::strlen(text) + 1;
  auto* copy = static_cast<char*>(Allocate(size));
  if (copy != nullptr) std::memcpy(copy, text, size);
  return copy;
}

void* AllocateZeroed(size_t count, size_t size) {
  if (size != 0 && count > std::numeric_limits<size_t>::max() / size) return nullptr;
  void* block = Allocate(count * size);
  if (block != nullptr) std::memset(block, 0, count * size);
  return block;
}

void SetFreeObserverForTest(FreeObserver observer) { free_observer.store(observer); }

void InitCurl() {
  static std::once_flag once;
  std::call_once(once, [] {
    curl_global_init_mem(CURL_GLOBAL_DEFAULT, &Allocate, &Free, &Reallocate, &Duplicate,
                         &AllocateZeroed);
  });
}

}  // namespace keywarden::http_memory
