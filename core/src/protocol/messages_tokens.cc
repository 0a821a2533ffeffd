// token.add, token.list and token.rm: the wire forms of
// keywarden/messages_tokens.h.
#include "keywarden/messages_tokens.h"

#include "fields.h"
#include "keywarden/clock.h"

namespace keywarden {
namespace {

using fields::OrNull;
using fields::Reader;

// The longest expiry token.add takes: ten years.
constexpr int64_t kMaxExpiresIn = int64_t{10} * 366 * 24 * 3600;

template <class P>
Status CheckNames(const Json& params) {
  return CheckParamNames(params, P::kMethod, P::kFields);
}

Status DecodeInfo(const Json& object, const std::string& path, TokenInfo* out) {
  Reader r(object, path);
  if (Status ok = r.Object(); !ok) return ok;
  if (Status ok = r.String("name", &out->name); !ok) return ok;
  if (Status ok = r.Uid("owner", &out->owner); !ok) return ok;
  if (Status ok = r.String("env", &out->env); !ok) return ok;
  if (Status ok = r.StringList("slots", &out->slots); !ok) return ok;
  if (Status ok = r.Time("created_at", &out->created_at); !ok) return ok;
  if (Status ok = r.OptionalTime("expires_at", &out->expires_at); !ok) return ok;
  return r.Bool("expired", &out->expired);
}

}  // namespace

Json Encode(const TokenInfo& info) {
  return Json{{"name", info.name},
              {"owner", info.owner},
              {"env", info.env},
              {"slots", info.slots},
              {"created_at", FormatTime(info.created_at)},
              {"expires_at", info.expires_at ? Json(FormatTime(*info.expires_at)) : Json(nullptr)},
              {"expired", info.expired}};
}

Status Decode(Json& params, AddTokenParams* out) {
  if (Status ok = CheckNames<AddTokenParams>(params); !ok) return ok;
  Reader r(params, "params");
  if (Status ok = r.String("name", &out->name); !ok) return ok;
  if (Status ok = r.String("env", &out->env); !ok) return ok;
  out->slots.clear();
  if (r.Has("slots")) {
    if (Status ok = r.StringList("slots", &out->slots); !ok) return ok;
  }
  return r.OptionalInteger("expires_in", 1, kMaxExpiresIn, "a number of seconds up to ten years",
                           &out->expires_in);
}

Json Encode(const AddTokenParams& params) {
  Json out = {{"name", params.name}, {"env", params.env}};
  if (!params.slots.empty()) out["slots"] = params.slots;
  fields::PutOptional(out, "expires_in", params.expires_in);
  return out;
}

Status Decode(const Json& result, AddTokenResult* out) {
  const Reader r(result, "result");
  const Json* token = r.Find("token");
  if (token == nullptr) return DecodeInfo(Json(nullptr), r.Name("token"), &out->info);
  return DecodeInfo(*token, r.Name("token"), &out->info);
}

Json Encode(const AddTokenResult& result) { return Json{{"token", Encode(result.info)}}; }

Status Decode(Json& params, ListTokensParams*) { return CheckNames<ListTokensParams>(params); }

Json Encode(const ListTokensParams&) { return Json::object(); }

Status Decode(const Json& result, ListTokensResult* out) {
  const Reader r(result, "result");
  const Json* tokens = nullptr;
  if (Status ok = r.Array("tokens", &tokens); !ok) return ok;
  out->tokens.clear();
  for (size_t i = 0; i < tokens->size(); ++i) {
    TokenInfo info;
    const std::string path = r.Name("tokens") + "[" + std::to_string(i) + "]";
    if (Status ok = DecodeInfo((*tokens)[i], path, &info); !ok) return ok;
    out->tokens.push_back(std::move(info));
  }
  return {};
}

Json Encode(const ListTokensResult& result) {
  Json tokens = Json::array();
  for (const TokenInfo& info : result.tokens) tokens.push_back(Encode(info));
  return Json{{"tokens", std::move(tokens)}};
}

Status Decode(Json& params, RemoveTokenParams* out) {
  if (Status ok = CheckNames<RemoveTokenParams>(params); !ok) return ok;
  return Reader(params, "params").String("name", &out->name);
}

Json Encode(const RemoveTokenParams& params) { return Json{{"name", params.name}}; }

Status Decode(const Json& result, RemoveTokenResult* out) {
  return Reader(result, "result").String("removed", &out->removed);
}

Json Encode(const RemoveTokenResult& result) { return Json{{"removed", result.removed}}; }

}  // namespace keywarden
