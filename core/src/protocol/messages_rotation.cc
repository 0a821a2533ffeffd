// slot.rotate, slot.rollback, slot.revoke and reminders.list: the wire
// forms of keywarden/messages_rotation.h.
#include "keywarden/messages_rotation.h"

#include <limits>

#include "fields.h"
#include "keywarden/slot_json.h"

namespace keywarden {

using fields::OrNull;
using fields::PutOptional;
using fields::Reader;

namespace {

constexpr int64_t kMaxVersion = std::numeric_limits<int>::max();

Json EncodeTarget(const std::string& ref, const std::optional<uint32_t>& owner) {
  Json out = {{"ref", ref}};
  PutOptional(out, "owner", owner);
  return out;
}

}  // namespace

Status Decode(Json& params, RotateParams* out) {
  // The secret first, so that every failure below leaves no plaintext copy.
  Result<SecretBuffer> secret = fields::TakeSecret(params, "secret", true);
  if (!secret) return std::unexpected(secret.error());
  out->secret = std::move(*secret);
  if (Status ok = CheckParamNames(params, RotateParams::kMethod, RotateParams::kFields); !ok) {
    return ok;
  }
  Reader r(params, "params");
  if (Status ok = r.String("ref", &out->ref); !ok) return ok;
  return r.OptionalUid("owner", &out->owner);
}

Json Encode(const RotateParams& params) { return EncodeTarget(params.ref, params.owner); }

std::vector<SecretParam> SecretsOf(const RotateParams& params) {
  return {{"secret", params.secret.view()}};
}

Status Decode(const Json& result, RotateResult* out) {
  Reader r(result, "result");
  if (Status ok = fields::DecodeSlot(r, "slot", &out->slot); !ok) return ok;
  if (Status ok = r.Integer("version", 1, kMaxVersion, "a version number", &out->version); !ok) {
    return ok;
  }
  return r.Diagnoses("warnings", &out->warnings);
}

Json Encode(const RotateResult& result) {
  return Json{{"slot", Encode(result.slot)},
              {"version", result.version},
              {"warnings", DiagnosesJson(result.warnings)}};
}

Status Decode(Json& params, RollbackParams* out) {
  if (Status ok = CheckParamNames(params, RollbackParams::kMethod, RollbackParams::kFields); !ok) {
    return ok;
  }
  Reader r(params, "params");
  if (Status ok = r.String("ref", &out->ref); !ok) return ok;
  return r.OptionalUid("owner", &out->owner);
}

Json Encode(const RollbackParams& params) { return EncodeTarget(params.ref, params.owner); }

Status Decode(Json& params, RevokeParams* out) {
  if (Status ok = CheckParamNames(params, RevokeParams::kMethod, RevokeParams::kFields); !ok) {
    return ok;
  }
  Reader r(params, "params");
  if (Status ok = r.String("ref", &out->ref); !ok) return ok;
  // Above INT_MAX a cast would wrap: 4294967297 would name version 1.
  std::optional<int64_t> version;
  if (Status ok = r.OptionalInteger("version", 1, kMaxVersion, "a version number", &version); !ok) {
    return ok;
  }
  out->version.reset();
  if (version) out->version = static_cast<int>(*version);
  return r.OptionalUid("owner", &out->owner);
}

Json Encode(const RevokeParams& params) {
  Json out = EncodeTarget(params.ref, params.owner);
  PutOptional(out, "version", params.version);
  return out;
}

Status Decode(const Json& result, VersionResult* out) {
  Reader r(result, "result");
  if (Status ok = fields::DecodeSlot(r, "slot", &out->slot); !ok) return ok;
  return r.Integer("version", 1, kMaxVersion, "a version number", &out->version);
}

Json Encode(const VersionResult& result) {
  return Json{{"slot", Encode(result.slot)}, {"version", result.version}};
}

Status Decode(Json& params, RemindersParams* out) {
  if (Status ok = CheckParamNames(params, RemindersParams::kMethod, RemindersParams::kFields);
      !ok) {
    return ok;
  }
  return Reader(params, "params").OptionalUid("owner", &out->owner);
}

Json Encode(const RemindersParams& params) {
  Json out = Json::object();
  PutOptional(out, "owner", params.owner);
  return out;
}

Status Decode(const Json& result, RemindersResult* out) {
  Reader r(result, "result");
  const Json* list = nullptr;
  if (Status ok = r.Array("reminders", &list); !ok) return ok;
  out->reminders.clear();
  for (size_t i = 0; i < list->size(); ++i) {
    Reader item((*list)[i], r.Name("reminders") + "[" + std::to_string(i) + "]");
    Reminder reminder;
    if (Status ok = item.String("ref", &reminder.ref); !ok) return ok;
    if (Status ok = item.Uid("owner_uid", &reminder.owner_uid); !ok) return ok;
    if (Status ok = item.String("kind", &reminder.kind); !ok) return ok;
    if (Status ok = item.OptionalString("rotation_due_at", &reminder.rotation_due_at); !ok) {
      return ok;
    }
    if (Status ok = item.String("message", &reminder.message); !ok) return ok;
    out->reminders.push_back(std::move(reminder));
  }
  return {};
}

Json Encode(const RemindersResult& result) {
  Json list = Json::array();
  for (const Reminder& r : result.reminders) {
    list.push_back({{"ref", r.ref},
                    {"owner_uid", r.owner_uid},
                    {"kind", r.kind},
                    {"rotation_due_at", OrNull(r.rotation_due_at)},
                    {"message", r.message}});
  }
  return Json{{"reminders", std::move(list)}};
}

}  // namespace keywarden
