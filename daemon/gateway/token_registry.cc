#include "gateway/token_registry.h"

#include "log.h"

namespace keywarden {

TokenRegistry::TokenRegistry(TokenStore& store, std::optional<Keyring>& keyring)
    : store_(store), keyring_(keyring) {
  Reload();
}

std::optional<GatewayToken> TokenRegistry::Verify(std::string_view presented, int64_t now) const {
  if (!keyring_ || !presented.starts_with(kTokenPrefix)) return std::nullopt;
  const Bytes hash = keyring_->TokenHash(presented);
  // Every stored hash is compared, so the time taken does not tell which
  // one (if any) matched.
  const GatewayToken* found = nullptr;
  for (const GatewayToken& token : tokens_) {
    if (EqualConstantTime(hash, token.hash)) found = &token;
  }
  if (found == nullptr || found->Expired(now)) return std::nullopt;
  return *found;
}

void TokenRegistry::Reload() {
  Result<std::vector<GatewayToken>> tokens = store_.ListTokens(std::nullopt);
  if (!tokens) {
    log::Error("cannot read the gateway tokens", {{"error", tokens.error().message}});
    return;
  }
  tokens_ = std::move(*tokens);
}

}  // namespace keywarden
