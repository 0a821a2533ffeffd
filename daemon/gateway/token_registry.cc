// STAND-IN until the gw-tokens branch lands; see token_registry.h.
#include "gateway/token_registry.h"

#include "keywarden/protocol.h"
#include "keywarden/regular_file.h"

namespace keywarden {

std::optional<GatewayToken> TokenRegistry::Verify(std::string_view presented, int64_t now) const {
  if (!presented.starts_with("kwt_")) return std::nullopt;
  Result<std::string> text = ReadRegularFile(file_, "tokens", 1 << 20);
  if (!text) return std::nullopt;
  Json list = Json::parse(*text, nullptr, false);
  if (!list.is_array()) return std::nullopt;
  for (const Json& item : list) {
    if (item.value("token", "") != presented) continue;
    GatewayToken token;
    token.name = item.value("name", "");
    token.owner_uid = item.value("owner_uid", 0u);
    token.env = item.value("env", "");
    token.slots = item.value("slots", std::vector<std::string>{});
    if (item.contains("expires_at")) token.expires_at = item["expires_at"].get<int64_t>();
    if (token.Expired(now)) return std::nullopt;
    return token;
  }
  return std::nullopt;
}

}  // namespace keywarden
