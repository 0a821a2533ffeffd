// RequestHandler: token.add, token.list and token.rm, the gateway's tokens
// (docs/gateway.md "Tokens"). A token is the caller's own: listed, used and
// removed only by the uid that created it (in system mode, as SO_PEERCRED
// tells). Its text is made here, sent once in token.add's reply, and never
// stored, logged or put in an event: the store keeps its keyed hash.
#include <fmt/format.h>

#include <algorithm>

#include "gateway/token_registry.h"
#include "handlers/request_handler.h"
#include "keywarden/clock.h"

namespace keywarden {
namespace {

TokenInfo InfoOf(const GatewayToken& token, int64_t now) {
  return TokenInfo{.name = token.name,
                   .owner = token.owner_uid,
                   .env = token.env,
                   .slots = token.slots,
                   .created_at = token.created_at,
                   .expires_at = token.expires_at,
                   .expired = token.Expired(now)};
}

Event TokenEvent(const Peer& peer, std::string action, const std::string& name,
                 std::string detail) {
  Event event;
  event.at = NowSeconds();
  event.uid = peer.uid;
  event.owner_uid = peer.uid;
  event.action = std::move(action);
  event.detail = fmt::format("token {}{}", name, detail);
  return event;
}

}  // namespace

Result<std::vector<std::string>> RequestHandler::TokenSlots(const AddTokenParams& params) const {
  std::vector<std::string> names;
  for (const std::string& ref : params.slots) {
    Result<SlotRef> parsed = SlotRef::Parse(ref, params.env);
    if (!parsed) return std::unexpected(parsed.error());
    if (parsed->env != params.env) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("slot {} is not of env {}", parsed->str(), params.env),
                  fmt::format("a token reaches the slots of one env: name slots of {}, or add "
                              "another token for {}",
                              params.env, parsed->env));
    }
    if (std::find(names.begin(), names.end(), parsed->name) == names.end()) {
      names.push_back(parsed->name);
    }
  }
  return names;
}

void RequestHandler::AddToken(AddTokenParams& params, const Peer& peer, Reply reply) {
  if (!IsValidRefPart(params.name)) {
    return reply(Fail(ErrorCode::kInvalidArgument,
                      fmt::format("invalid token name \"{}\"", params.name.substr(0, 64)),
                      "a token name is 1 to 63 of a-z, 0-9, _ and -, starting with a letter "
                      "or digit"));
  }
  if (!IsValidRefPart(params.env)) {
    return reply(Fail(ErrorCode::kInvalidArgument,
                      fmt::format("invalid env \"{}\"", params.env.substr(0, 64))));
  }
  Result<std::vector<std::string>> slots = TokenSlots(params);
  if (!slots) return reply(std::unexpected(slots.error()));
  // Sealed after the request was accepted: no hash key now.
  if (!keyring_)
    return reply(Fail(ErrorCode::kSealed, "keywardend is sealed", "run `keywarden unlock`"));

  const int64_t now = NowSeconds();
  AddTokenResult result;
  result.token = RandomToken();
  GatewayToken token{.name = params.name,
                     .owner_uid = peer.uid,
                     .env = params.env,
                     .slots = std::move(*slots),
                     .hash = keyring_->TokenHash(result.token.view()),
                     .created_at = now,
                     .expires_at = std::nullopt};
  if (params.expires_in) token.expires_at = now + *params.expires_in;
  std::string detail = " for " + token.env;
  if (!token.slots.empty()) detail += fmt::format(" (slots {})", fmt::join(token.slots, ","));
  if (token.expires_at) detail += ", expires " + FormatTime(*token.expires_at);
  Status added = store_.AddToken(token, TokenEvent(peer, "token_added", token.name, detail));
  if (!added) {
    if (added.error().code == ErrorCode::kAlreadyExists) {
      return reply(Fail(ErrorCode::kAlreadyExists,
                        fmt::format("token {} already exists", token.name),
                        fmt::format("its text cannot be shown again: `keywarden token rm {}` "
                                    "and add it anew, or choose another name",
                                    token.name)));
    }
    return reply(std::unexpected(added.error()));
  }
  if (options_.tokens) options_.tokens->Reload();
  result.info = InfoOf(token, now);
  Json out = Encode(result);
  // The only copy that leaves the daemon; the connection wipes the reply
  // once written, and result.token wipes itself.
  out["secret"] = std::string(result.token.view());
  reply(std::move(out));
}

Result<ListTokensResult> RequestHandler::ListTokens(ListTokensParams&, const Peer& peer) {
  Result<std::vector<GatewayToken>> tokens = store_.ListTokens(peer.uid);
  if (!tokens) return std::unexpected(tokens.error());
  const int64_t now = NowSeconds();
  ListTokensResult result;
  for (const GatewayToken& token : *tokens) result.tokens.push_back(InfoOf(token, now));
  return result;
}

Result<RemoveTokenResult> RequestHandler::RemoveToken(RemoveTokenParams& params, const Peer& peer) {
  // Another uid's token of the same name is never touched: the store looks
  // among the caller's own only, so it is as missing as a name never used.
  Status removed =
      store_.RemoveToken(peer.uid, params.name, TokenEvent(peer, "token_removed", params.name, ""));
  if (!removed) {
    if (removed.error().code == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kNotFound, fmt::format("no token {}", params.name.substr(0, 64)),
                  "`keywarden token list` shows your tokens");
    }
    return std::unexpected(removed.error());
  }
  if (options_.tokens) options_.tokens->Reload();
  return RemoveTokenResult{params.name};
}

}  // namespace keywarden
