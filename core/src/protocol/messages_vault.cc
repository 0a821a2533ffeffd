// unlock, seal and rekey: the wire forms of keywarden/messages_vault.h.
#include "keywarden/messages_vault.h"

#include "fields.h"

namespace keywarden {

using fields::PutOptional;
using fields::Reader;

Status Decode(Json& params, UnlockParams* out) {
  Result<SecretBuffer> passphrase = fields::TakeSecret(params, "passphrase", false);
  if (!passphrase) return std::unexpected(passphrase.error());
  out->passphrase = std::move(*passphrase);
  if (Status ok = CheckParamNames(params, UnlockParams::kMethod, UnlockParams::kFields); !ok) {
    return ok;
  }
  return Reader(params, "params").OptionalBool("create", &out->create);
}

Json Encode(const UnlockParams& params) {
  Json out = Json::object();
  if (params.create) out["create"] = true;
  return out;
}

std::vector<SecretParam> SecretsOf(const UnlockParams& params) {
  return {{"passphrase", params.passphrase.view()}};
}

Status Decode(const Json& result, UnlockResult* out) {
  Reader r(result, "result");
  if (Status ok = r.Bool("sealed", &out->sealed); !ok) return ok;
  if (Status ok = r.Bool("created", &out->created); !ok) return ok;
  if (Status ok = r.Bool("upgraded", &out->upgraded); !ok) return ok;
  return r.Bool("already", &out->already);
}

Json Encode(const UnlockResult& result) {
  return Json{{"sealed", result.sealed},
              {"created", result.created},
              {"upgraded", result.upgraded},
              {"already", result.already}};
}

Status Decode(Json& params, SealParams*) {
  return CheckParamNames(params, SealParams::kMethod, SealParams::kFields);
}

Json Encode(const SealParams&) { return Json::object(); }

Status Decode(const Json& result, SealResult* out) {
  return Reader(result, "result").Bool("sealed", &out->sealed);
}

Json Encode(const SealResult& result) { return Json{{"sealed", result.sealed}}; }

Status Decode(Json& params, RekeyParams* out) {
  Result<SecretBuffer> current = fields::TakeSecret(params, "passphrase", false);
  Result<SecretBuffer> next = fields::TakeSecret(params, "new_passphrase", false);
  if (!current) return std::unexpected(current.error());
  if (!next) return std::unexpected(next.error());
  out->passphrase = std::move(*current);
  out->new_passphrase = std::move(*next);
  return CheckParamNames(params, RekeyParams::kMethod, RekeyParams::kFields);
}

Json Encode(const RekeyParams&) { return Json::object(); }

std::vector<SecretParam> SecretsOf(const RekeyParams& params) {
  std::vector<SecretParam> out;
  if (!params.passphrase.empty()) out.push_back({"passphrase", params.passphrase.view()});
  if (!params.new_passphrase.empty()) {
    out.push_back({"new_passphrase", params.new_passphrase.view()});
  }
  return out;
}

Status Decode(const Json& result, RekeyResult* out) {
  Reader r(result, "result");
  if (Status ok = r.String("master_key", &out->master_key); !ok) return ok;
  return r.OptionalString("file", &out->file);
}

Json Encode(const RekeyResult& result) {
  Json out = {{"master_key", result.master_key}};
  PutOptional(out, "file", result.file);
  return out;
}

}  // namespace keywarden
