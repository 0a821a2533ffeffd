// The gateway's view of its tokens (docs/gateway.md "Tokens"): every token
// kept in memory (a few dozen at most), so that checking the one a request
// presents costs one keyed hash and no database read. The token handlers
// call Reload after each token.add and token.rm.
//
// Event-loop thread only. Not copyable.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "keys/keyring.h"
#include "keywarden/token_store.h"

namespace keywarden {

class TokenRegistry {
 public:
  // `keyring` is the daemon's (empty while sealed): it gives the hash key.
  // Loads the tokens at once.
  TokenRegistry(TokenStore& store, std::optional<Keyring>& keyring);
  TokenRegistry(const TokenRegistry&) = delete;
  TokenRegistry& operator=(const TokenRegistry&) = delete;

  // The token `presented` ("kwt_…") names, if it is known, unexpired at
  // `now` (unix seconds), and the vault is unlocked; its keyed hash is
  // compared with each stored one in constant time (sodium_memcmp). Anything
  // else, a text without the "kwt_" prefix included, is nullopt.
  std::optional<GatewayToken> Verify(std::string_view presented, int64_t now) const;
  // Reads the tokens again. On a store error the previous set stays (and
  // the error is logged): a token just added may then be refused until the
  // next reload, which is safer than forgetting every token.
  void Reload();
  size_t size() const { return tokens_.size(); }

 private:
  TokenStore& store_;
  std::optional<Keyring>& keyring_;
  std::vector<GatewayToken> tokens_;  // every owner's
};

}  // namespace keywarden
