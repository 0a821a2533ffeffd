// slot.add, slot.list, slot.show, slot.get, slot.set, slot.rm,
// slot.validate and key.check: the wire forms of keywarden/messages_slots.h.
#include "keywarden/messages_slots.h"

#include <fmt/format.h>

#include <limits>

#include "fields.h"
#include "keywarden/slot_json.h"

namespace keywarden {

using fields::PutOptional;
using fields::Reader;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

template <class P>
Status CheckNames(const Json& params) {
  return CheckParamNames(params, P::kMethod, P::kFields);
}

// params.ref and the optional params.owner.
Status DecodeTarget(const Reader& r, std::string* ref, std::optional<uint32_t>* owner) {
  if (Status ok = r.String("ref", ref); !ok) return ok;
  return r.OptionalUid("owner", owner);
}

Json EncodeTarget(const std::string& ref, const std::optional<uint32_t>& owner) {
  Json out = {{"ref", ref}};
  PutOptional(out, "owner", owner);
  return out;
}

// The optional settings slot.add and slot.set share: endpoint, probe and
// the rotation policy's durations.
template <class P>
Status DecodeSettings(const Reader& r, P* out) {
  if (Status ok = r.OptionalString("endpoint", &out->endpoint); !ok) return ok;
  if (Status ok = r.OptionalString("probe", &out->probe); !ok) return ok;
  if (Status ok = r.OptionalString("rotate_every", &out->rotate_every); !ok) return ok;
  if (Status ok = r.OptionalString("remind_before", &out->remind_before); !ok) return ok;
  return r.OptionalString("grace", &out->grace);
}

template <class P>
void EncodeSettings(const P& params, Json& out) {
  PutOptional(out, "endpoint", params.endpoint);
  PutOptional(out, "probe", params.probe);
  PutOptional(out, "rotate_every", params.rotate_every);
  PutOptional(out, "remind_before", params.remind_before);
  PutOptional(out, "grace", params.grace);
}

}  // namespace

Status Decode(Json& params, AddSlotParams* out) {
  // The secret first, so that every failure below leaves no plaintext copy.
  Result<SecretBuffer> secret = fields::TakeSecret(params, "secret", true);
  if (!secret) return std::unexpected(secret.error());
  out->secret = std::move(*secret);
  if (Status ok = CheckNames<AddSlotParams>(params); !ok) return ok;
  Reader r(params, "params");
  if (Status ok = r.String("ref", &out->ref); !ok) return ok;
  if (Status ok = r.String("provider", &out->provider); !ok) return ok;
  if (Status ok = r.StringList("models", &out->models); !ok) return ok;
  return DecodeSettings(r, out);
}

Json Encode(const AddSlotParams& params) {
  Json out = {{"ref", params.ref}, {"provider", params.provider}, {"models", params.models}};
  EncodeSettings(params, out);
  return out;
}

std::vector<SecretParam> SecretsOf(const AddSlotParams& params) {
  return {{"secret", params.secret.view()}};
}

Status Decode(const Json& result, AddSlotResult* out) {
  Reader r(result, "result");
  if (Status ok = fields::DecodeSlot(r, "slot", &out->slot); !ok) return ok;
  return r.Diagnoses("warnings", &out->warnings);
}

Json Encode(const AddSlotResult& result) {
  return Json{{"slot", Encode(result.slot)}, {"warnings", DiagnosesJson(result.warnings)}};
}

Status Decode(Json& params, ListSlotsParams* out) {
  if (Status ok = CheckNames<ListSlotsParams>(params); !ok) return ok;
  Reader r(params, "params");
  if (Status ok = r.OptionalString("env", &out->env); !ok) return ok;
  if (Status ok = r.OptionalBool("summary", &out->summary); !ok) return ok;
  return r.OptionalUid("owner", &out->owner);
}

Json Encode(const ListSlotsParams& params) {
  Json out = Json::object();
  PutOptional(out, "env", params.env);
  if (params.summary) out["summary"] = true;
  PutOptional(out, "owner", params.owner);
  return out;
}

Status Decode(const Json& result, ListSlotsResult* out) {
  return fields::DecodeSlots(Reader(result, "result"), "slots", &out->slots);
}

Json Encode(const ListSlotsResult& result) {
  return Json{{"slots", fields::EncodeSlots(result.slots)}};
}

Status Decode(Json& params, ShowSlotParams* out) {
  if (Status ok = CheckNames<ShowSlotParams>(params); !ok) return ok;
  return DecodeTarget(Reader(params, "params"), &out->ref, &out->owner);
}

Json Encode(const ShowSlotParams& params) { return EncodeTarget(params.ref, params.owner); }

Status Decode(const Json& result, SlotResult* out) {
  return fields::DecodeSlot(Reader(result, "result"), "slot", &out->slot);
}

Json Encode(const SlotResult& result) { return Json{{"slot", Encode(result.slot)}}; }

Status Decode(Json& params, GetSecretParams* out) {
  if (Status ok = CheckNames<GetSecretParams>(params); !ok) return ok;
  Reader r(params, "params");
  if (Status ok = DecodeTarget(r, &out->ref, &out->owner); !ok) return ok;
  if (Status ok = r.OptionalString("purpose", &out->purpose); !ok) return ok;
  if (out->purpose && *out->purpose != "get" && *out->purpose != "export" &&
      *out->purpose != "exec" && *out->purpose != "sync") {
    return Fail(ErrorCode::kInvalidArgument, "params.purpose: expected get, export, exec or sync");
  }
  return {};
}

Json Encode(const GetSecretParams& params) {
  Json out = EncodeTarget(params.ref, params.owner);
  PutOptional(out, "purpose", params.purpose);
  return out;
}

Status Decode(const Json& result, GetSecretResult* out) {
  Reader r(result, "result");
  if (Status ok = r.String("ref", &out->ref); !ok) return ok;
  if (Status ok = r.Integer("version", 1, std::numeric_limits<int>::max(), "a version number",
                            &out->version);
      !ok) {
    return ok;
  }
  if (Status ok = r.String("provider", &out->provider); !ok) return ok;
  if (Status ok = r.String("endpoint", &out->endpoint); !ok) return ok;
  if (Status ok = r.String("base_url", &out->base_url); !ok) return ok;
  if (Status ok = r.String("env_var", &out->env_var); !ok) return ok;
  return r.StringList("models", &out->models);
}

Json Encode(const GetSecretResult& result) {
  // Member by member: an initializer list copies every value once more.
  Json out = Json::object();
  out.emplace("ref", result.ref);
  out.emplace("version", result.version);
  out.emplace("provider", result.provider);
  out.emplace("endpoint", result.endpoint);
  out.emplace("base_url", result.base_url);
  out.emplace("env_var", result.env_var);
  out.emplace("models", result.models);
  return out;
}

Status Decode(Json& params, SetSlotParams* out) {
  if (Status ok = CheckNames<SetSlotParams>(params); !ok) return ok;
  Reader r(params, "params");
  if (Status ok = DecodeTarget(r, &out->ref, &out->owner); !ok) return ok;
  out->models.reset();
  if (r.Has("models")) {
    std::vector<std::string> models;
    if (Status ok = r.StringList("models", &models); !ok) return ok;
    out->models = std::move(models);
  }
  if (Status ok = r.OptionalString("add_model", &out->add_model); !ok) return ok;
  if (Status ok = r.OptionalString("drop_model", &out->drop_model); !ok) return ok;
  const int model_changes =
      (out->models ? 1 : 0) + (out->add_model ? 1 : 0) + (out->drop_model ? 1 : 0);
  if (model_changes > 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "params: models, add_model and drop_model exclude each other");
  }
  return DecodeSettings(r, out);
}

Json Encode(const SetSlotParams& params) {
  Json out = EncodeTarget(params.ref, params.owner);
  PutOptional(out, "models", params.models);
  PutOptional(out, "add_model", params.add_model);
  PutOptional(out, "drop_model", params.drop_model);
  EncodeSettings(params, out);
  return out;
}

Status Decode(const Json& result, SetSlotResult* out) {
  Reader r(result, "result");
  if (Status ok = fields::DecodeSlot(r, "slot", &out->slot); !ok) return ok;
  const Json* changes = nullptr;
  if (Status ok = r.Array("changes", &changes); !ok) return ok;
  out->changes.clear();
  for (size_t i = 0; i < changes->size(); ++i) {
    Reader c((*changes)[i], fmt::format("result.changes[{}]", i));
    SlotSettingChange change;
    if (Status ok = c.String("field", &change.field); !ok) return ok;
    if (Status ok = c.String("from", &change.from); !ok) return ok;
    if (Status ok = c.String("to", &change.to); !ok) return ok;
    out->changes.push_back(std::move(change));
  }
  const Json* rechecking = nullptr;
  if (Status ok = r.Array("rechecking", &rechecking); !ok) return ok;
  out->rechecking.clear();
  for (size_t i = 0; i < rechecking->size(); ++i) {
    const Json& n = (*rechecking)[i];
    if (!n.is_number_integer() || n.get<int64_t>() < 1 ||
        n.get<int64_t>() > std::numeric_limits<int>::max()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("result.rechecking[{}]: expected a version number", i));
    }
    out->rechecking.push_back(n.get<int64_t>());
  }
  return {};
}

Json Encode(const SetSlotResult& result) {
  Json changes = Json::array();
  for (const SlotSettingChange& c : result.changes) {
    changes.push_back(Json{{"field", c.field}, {"from", c.from}, {"to", c.to}});
  }
  return Json{
      {"slot", Encode(result.slot)}, {"changes", changes}, {"rechecking", result.rechecking}};
}

Status Decode(Json& params, RemoveSlotParams* out) {
  if (Status ok = CheckNames<RemoveSlotParams>(params); !ok) return ok;
  return DecodeTarget(Reader(params, "params"), &out->ref, &out->owner);
}

Json Encode(const RemoveSlotParams& params) { return EncodeTarget(params.ref, params.owner); }

Status Decode(const Json& result, RemoveSlotResult* out) {
  return Reader(result, "result").String("removed", &out->removed);
}

Json Encode(const RemoveSlotResult& result) { return Json{{"removed", result.removed}}; }

Status Decode(Json& params, ValidateParams* out) {
  if (Status ok = CheckNames<ValidateParams>(params); !ok) return ok;
  Reader r(params, "params");
  if (Status ok = r.OptionalBool("all", &out->all); !ok) return ok;
  out->refs.clear();
  // With `all`, refs is not read.
  if (!out->all) {
    if (Status ok = r.StringList("refs", &out->refs); !ok) return ok;
  }
  if (Status ok = r.OptionalBool("wait", &out->wait); !ok) return ok;
  return r.OptionalUid("owner", &out->owner);
}

Json Encode(const ValidateParams& params) {
  Json out = Json::object();
  if (params.all) {
    out["all"] = true;
  } else {
    out["refs"] = params.refs;
  }
  if (params.wait) out["wait"] = true;
  PutOptional(out, "owner", params.owner);
  return out;
}

Status Decode(const Json& result, ValidateResult* out) {
  return fields::DecodeSlots(Reader(result, "result"), "slots", &out->slots);
}

Json Encode(const ValidateResult& result) {
  return Json{{"slots", fields::EncodeSlots(result.slots)}};
}

Status Decode(Json& params, CheckKeyParams* out) {
  Result<SecretBuffer> secret = fields::TakeSecret(params, "secret", true);
  if (!secret) return std::unexpected(secret.error());
  out->secret = std::move(*secret);
  if (Status ok = CheckNames<CheckKeyParams>(params); !ok) return ok;
  Reader r(params, "params");
  if (Status ok = r.String("provider", &out->provider); !ok) return ok;
  if (Status ok = r.StringList("models", &out->models); !ok) return ok;
  if (Status ok = r.OptionalString("endpoint", &out->endpoint); !ok) return ok;
  return r.OptionalString("probe", &out->probe);
}

Json Encode(const CheckKeyParams& params) {
  Json out = {{"provider", params.provider}, {"models", params.models}};
  PutOptional(out, "endpoint", params.endpoint);
  PutOptional(out, "probe", params.probe);
  return out;
}

std::vector<SecretParam> SecretsOf(const CheckKeyParams& params) {
  return {{"secret", params.secret.view()}};
}

Status Decode(const Json& result, CheckKeyResult* out) {
  Reader r(result, "result");
  if (Status ok = r.String("verdict", &out->verdict); !ok) return ok;
  if (Status ok = r.String("base_url", &out->base_url); !ok) return ok;
  if (Status ok = r.Integer("billed_probes", 0, kMax, "a count", &out->billed_probes); !ok) {
    return ok;
  }
  if (Status ok = r.Checks("checks", &out->checks); !ok) return ok;
  return r.Diagnoses("diagnoses", &out->diagnoses);
}

Json Encode(const CheckKeyResult& result) {
  return Json{{"verdict", result.verdict},
              {"base_url", result.base_url},
              {"billed_probes", result.billed_probes},
              {"checks", ChecksJson(result.checks)},
              {"diagnoses", DiagnosesJson(result.diagnoses)}};
}

}  // namespace keywarden
