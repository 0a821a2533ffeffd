// The store's role that keeps gateway tokens (docs/gateway.md "Tokens"): a
// token's name, owner, scope and expiry, and a keyed hash of its text. The
// text itself is never stored. Each method is one transaction: it happens
// whole or not at all, and it has happened durably when it returns success.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keywarden/crypto.h"
#include "keywarden/status.h"
#include "keywarden/store_records.h"

namespace keywarden {

struct GatewayToken {
  std::string name;  // unique per owner; the rules of a slot name (IsValidRefPart)
  uint32_t owner_uid = 0;
  std::string env;
  std::vector<std::string> slots;  // slot names of env it may use; empty: every slot of env
  Bytes hash;                      // keyed BLAKE2b-256 of the token text (never the text)
  int64_t created_at = 0;          // unix seconds
  std::optional<int64_t> expires_at;

  // Whether the token is past its expiry at `now` (unix seconds).
  bool Expired(int64_t now) const { return expires_at && *expires_at <= now; }
};

// Thread-safe. Not copyable.
class TokenStore {
 public:
  TokenStore() = default;
  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;
  virtual ~TokenStore() = default;

  // Stores `token` and records `event`. kAlreadyExists if its owner has a
  // token of that name already (another owner's of the same name is no
  // clash); kInvalidArgument for an invalid name or env.
  virtual Status AddToken(const GatewayToken& token, const Event& event) = 0;
  // `owner`'s tokens (every owner's with nullopt), ordered by owner, then
  // name. Expired tokens are listed too: the caller decides.
  virtual Result<std::vector<GatewayToken>> ListTokens(std::optional<uint32_t> owner) = 0;
  // Deletes `owner`'s token `name` and records `event`. kNotFound if there
  // is none (another owner's token of that name is not touched).
  virtual Status RemoveToken(uint32_t owner, std::string_view name, const Event& event) = 0;
};

}  // namespace keywarden
