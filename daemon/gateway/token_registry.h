// STAND-IN until the gw-tokens branch lands (it owns this file): tokens
// read from <state>/gateway-tokens.standin.json, [{"name", "owner_uid",
// "env", "slots", "token", "expires_at"}], plaintext. Same Verify as the
// real registry. Never shipped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "keywarden/token_store.h"

namespace keywarden {

class TokenRegistry {
 public:
  explicit TokenRegistry(std::filesystem::path file) : file_(std::move(file)) {}
  std::optional<GatewayToken> Verify(std::string_view presented, int64_t now) const;
  void Reload() {}

 private:
  std::filesystem::path file_;
};

}  // namespace keywarden
