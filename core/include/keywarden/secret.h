// A move-only buffer for secret bytes: guarded, locked memory that is wiped
// when freed. Secrets never live in std::string longer than a parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace keywarden {

class SecretBuffer {
 public:
  SecretBuffer() = default;
  // Allocates `size` zeroed bytes. Aborts if secure memory cannot be had.
  explicit SecretBuffer(size_t size);
  // Copies `bytes` into a new buffer; the caller wipes its own copy.
  static SecretBuffer Copy(std::string_view bytes);
  // Copies then wipes `source` (e.g. a string just parsed from a request).
  static SecretBuffer Take(std::string& source);

  SecretBuffer(SecretBuffer&& other) noexcept;
  SecretBuffer& operator=(SecretBuffer&& other) noexcept;
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  ~SecretBuffer();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  // Constant-time comparison.
  bool Equals(const SecretBuffer& other) const;

 private:
  // Wipes and frees (or returns to the pool) the block; leaves *this empty.
  void Release();

  void* block_ = nullptr;  // what sodium_malloc returned; data_ lies inside
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Overwrites the bytes of `s` with zeros in a way the compiler keeps, then clears it.
void Wipe(std::string& s);

// True when the process's secure memory is locked (mlock succeeded) for the
// most recent allocation; used to log a warning once at start.
bool SecureMemoryLocked();

}  // namespace keywarden
