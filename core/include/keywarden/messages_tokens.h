// token.add, token.list and token.rm (see keywarden/messages.h): the
// gateway's tokens (docs/gateway.md "Tokens"). A token's text is a secret:
// it travels once, in token.add's reply, as its "secret" member (read with
// ParseSecretResponse), and never in a Json copy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keywarden/messages.h"
#include "keywarden/secret.h"

namespace keywarden {

// What is shown of a token: never its text or its hash.
struct TokenInfo {
  std::string name;
  uint32_t owner = 0;  // the uid that created it
  std::string env;
  std::vector<std::string> slots;  // slot names of env; empty: every slot of env
  int64_t created_at = 0;
  std::optional<int64_t> expires_at;
  bool expired = false;  // at the time of the reply
};

struct AddTokenResult;
struct AddTokenParams {
  static constexpr std::string_view kMethod = "token.add";
  static constexpr std::array<std::string_view, 4> kFields = {"name", "env", "slots", "expires_in"};
  using Reply = AddTokenResult;
  std::string name;
  std::string env;
  // Slot refs ("ENV/NAME", or a bare NAME of `env`); each must be of `env`.
  std::vector<std::string> slots;
  std::optional<int64_t> expires_in;  // seconds from now; absent: never expires
};

// Decode fills every member but `token`, which the client unescapes
// straight into secure memory (ParseSecretResponse); Encode leaves it out
// too (the daemon adds it last, as "secret").
struct AddTokenResult {
  SecretBuffer token;
  TokenInfo info;
};

struct ListTokensResult;
struct ListTokensParams {
  static constexpr std::string_view kMethod = "token.list";
  static constexpr std::array<std::string_view, 0> kFields = {};
  using Reply = ListTokensResult;
};

struct ListTokensResult {
  std::vector<TokenInfo> tokens;  // the caller's own, by name
};

struct RemoveTokenResult;
struct RemoveTokenParams {
  static constexpr std::string_view kMethod = "token.rm";
  static constexpr std::array<std::string_view, 1> kFields = {"name"};
  using Reply = RemoveTokenResult;
  std::string name;
};

struct RemoveTokenResult {
  std::string removed;  // the token's name
};

// The token object of token.add's and token.list's results.
Json Encode(const TokenInfo& info);

Status Decode(Json& params, AddTokenParams* out);
Json Encode(const AddTokenParams& params);
Status Decode(const Json& result, AddTokenResult* out);
Json Encode(const AddTokenResult& result);

Status Decode(Json& params, ListTokensParams* out);
Json Encode(const ListTokensParams& params);
Status Decode(const Json& result, ListTokensResult* out);
Json Encode(const ListTokensResult& result);

Status Decode(Json& params, RemoveTokenParams* out);
Json Encode(const RemoveTokenParams& params);
Status Decode(const Json& result, RemoveTokenResult* out);
Json Encode(const RemoveTokenResult& result);

}  // namespace keywarden
