#include "keywarden/slot_object.h"

#include <fmt/format.h>

#include <limits>

#include "fields.h"
#include "keywarden/clock.h"
#include "keywarden/slot_json.h"

namespace keywarden {

using fields::OrNull;
using fields::Reader;

namespace {

constexpr int64_t kMaxInt = std::numeric_limits<int>::max();
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

Json TimeOrNull(const std::optional<int64_t>& t) {
  return t ? Json(FormatTime(*t)) : Json(nullptr);
}

Status ReadInt(const Reader& r, std::string_view key, int64_t min, std::string_view what,
               int* out) {
  int64_t value = 0;
  if (Status ok = r.Integer(key, min, kMaxInt, what, &value); !ok) return ok;
  *out = static_cast<int>(value);
  return {};
}

Status ReadOptionalVersion(const Reader& r, std::string_view key, std::optional<int>* out) {
  std::optional<int64_t> value;
  if (Status ok = r.OptionalInteger(key, 1, kMaxInt, "a version number", &value); !ok) return ok;
  *out = value ? std::optional<int>(static_cast<int>(*value)) : std::nullopt;
  return {};
}

Status ReadState(const Reader& r, std::string_view key, VersionState* out) {
  std::string name;
  if (Status ok = r.String(key, &name); !ok) return ok;
  std::optional<VersionState> state = VersionStateFromName(name);
  if (!state) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: expected a version state, got \"{}\"", r.Name(key), name));
  }
  *out = *state;
  return {};
}

Status ReadVersion(const Reader& r, VersionObject* v) {
  if (Status ok = r.Object(); !ok) return ok;
  if (Status ok = ReadInt(r, "version", 1, "a version number", &v->version); !ok) return ok;
  if (Status ok = ReadState(r, "state", &v->state); !ok) return ok;
  if (Status ok = r.String("fingerprint", &v->fingerprint); !ok) return ok;
  if (Status ok = r.Time("created_at", &v->created_at); !ok) return ok;
  if (Status ok = r.OptionalTime("verified_at", &v->verified_at); !ok) return ok;
  if (Status ok = r.OptionalTime("next_check_at", &v->next_check_at); !ok) return ok;
  if (Status ok = ReadInt(r, "billed_probes", 0, "a count", &v->billed_probes); !ok) return ok;
  if (Status ok = r.Checks("checks", &v->checks); !ok) return ok;
  return r.Diagnoses("diagnoses", &v->diagnoses);
}

Status ReadDuration(const Reader& r, std::string_view key, int64_t* out) {
  return r.Integer(key, 0, kMaxInt64, "a duration in seconds", out);
}

// The members past the summary.
Status ReadFull(const Reader& r, SlotObject* s) {
  if (Status ok = r.String("env", &s->env); !ok) return ok;
  if (Status ok = r.String("name", &s->name); !ok) return ok;
  if (Status ok = r.String("probe", &s->probe); !ok) return ok;
  if (Status ok = ReadOptionalVersion(r, "pending_version", &s->pending_version); !ok) return ok;
  Json rotation;
  if (Status ok = r.ObjectMember("rotation", &rotation); !ok) return ok;
  Reader policy(rotation, r.Name("rotation"));
  if (Status ok = ReadDuration(policy, "rotate_every", &s->rotation.rotate_every); !ok) return ok;
  if (Status ok = ReadDuration(policy, "remind_before", &s->rotation.remind_before); !ok) {
    return ok;
  }
  if (Status ok = ReadDuration(policy, "grace", &s->rotation.grace); !ok) return ok;
  if (Status ok = r.OptionalTime("rotation_due_at", &s->rotation_due_at); !ok) return ok;
  if (Status ok = r.Bool("reminder_due", &s->reminder_due); !ok) return ok;
  if (Status ok = r.Time("created_at", &s->created_at); !ok) return ok;
  const Json* versions = nullptr;
  if (Status ok = r.Array("versions", &versions); !ok) return ok;
  s->versions.assign(versions->size(), VersionObject{});
  for (size_t i = 0; i < versions->size(); ++i) {
    Reader item((*versions)[i], fmt::format("{}[{}]", r.Name("versions"), i));
    if (Status ok = ReadVersion(item, &s->versions[i]); !ok) return ok;
  }
  return r.Diagnoses("diagnoses", &s->diagnoses);
}

VersionObject VersionObjectOf(const Version& v) {
  return VersionObject{.version = v.number,
                       .state = v.state,
                       .fingerprint = v.mask,
                       .created_at = v.created_at,
                       .verified_at = v.verified_at,
                       .next_check_at = v.next_check_at,
                       .billed_probes = v.billed_probes,
                       .checks = v.checks,
                       .diagnoses = v.diagnoses};
}

Json Encode(const VersionObject& v) {
  return Json{{"version", v.version},
              {"state", VersionStateName(v.state)},
              {"fingerprint", v.fingerprint},
              {"created_at", FormatTime(v.created_at)},
              {"verified_at", TimeOrNull(v.verified_at)},
              {"next_check_at", TimeOrNull(v.next_check_at)},
              {"billed_probes", v.billed_probes},
              {"checks", ChecksJson(v.checks)},
              {"diagnoses", DiagnosesJson(v.diagnoses)}};
}

}  // namespace

const VersionObject* SlotObject::FindVersion(int number) const {
  if (versions.empty()) return nullptr;
  if (number == 0) return &versions.back();
  for (const VersionObject& v : versions) {
    if (v.version == number) return &v;
  }
  return nullptr;
}

SlotObject SlotObjectOf(const Slot& slot, int64_t now) {
  SlotObject s;
  s.ref = slot.ref.str();
  s.provider = slot.provider;
  s.endpoint = slot.endpoint;
  s.models = slot.models;
  if (const Version* newest = slot.Newest()) s.state = newest->state;
  s.usable = slot.Usable();
  s.current_version = slot.current_version;
  s.owner_uid = slot.owner_uid;
  s.env = slot.ref.env;
  s.name = slot.ref.name;
  s.probe = slot.probe;
  s.pending_version = slot.pending_version;
  s.rotation = slot.policy;
  s.rotation_due_at = RotationDueAt(slot);
  s.reminder_due = s.rotation_due_at && now >= *s.rotation_due_at - slot.policy.remind_before;
  s.created_at = slot.created_at;
  s.versions.reserve(slot.versions.size());
  for (const Version& v : slot.versions) s.versions.push_back(VersionObjectOf(v));
  if (!s.versions.empty()) s.diagnoses = s.versions.back().diagnoses;
  return s;
}

Json Encode(const SlotObject& s) {
  Json out = {{"ref", s.ref},
              {"provider", s.provider},
              {"endpoint", s.endpoint},
              {"models", s.models},
              {"state", s.state ? Json(VersionStateName(*s.state)) : Json(nullptr)},
              {"usable", s.usable},
              {"current_version", OrNull(s.current_version)},
              {"owner_uid", s.owner_uid}};
  if (s.summary) return out;
  out["env"] = s.env;
  out["name"] = s.name;
  out["probe"] = s.probe;
  out["pending_version"] = OrNull(s.pending_version);
  out["rotation"] = {{"rotate_every", s.rotation.rotate_every},
                     {"remind_before", s.rotation.remind_before},
                     {"grace", s.rotation.grace}};
  out["rotation_due_at"] = TimeOrNull(s.rotation_due_at);
  out["reminder_due"] = s.reminder_due;
  out["created_at"] = FormatTime(s.created_at);
  Json versions = Json::array();
  for (const VersionObject& v : s.versions) versions.push_back(Encode(v));
  out["versions"] = std::move(versions);
  out["diagnoses"] = DiagnosesJson(s.diagnoses);
  return out;
}

Status Decode(const Json& value, const std::string& path, SlotObject* out) {
  Reader r(value, path);
  if (!value.is_object()) return Fail(ErrorCode::kInvalidArgument, path + ": expected an object");
  *out = SlotObject{};
  if (Status ok = r.String("ref", &out->ref); !ok) return ok;
  if (Status ok = r.String("provider", &out->provider); !ok) return ok;
  if (Status ok = r.String("endpoint", &out->endpoint); !ok) return ok;
  if (Status ok = r.StringList("models", &out->models); !ok) return ok;
  if (r.Has("state")) {
    VersionState state{};
    if (Status ok = ReadState(r, "state", &state); !ok) return ok;
    out->state = state;
  }
  if (Status ok = r.Bool("usable", &out->usable); !ok) return ok;
  if (Status ok = ReadOptionalVersion(r, "current_version", &out->current_version); !ok) {
    return ok;
  }
  if (Status ok = r.Uid("owner_uid", &out->owner_uid); !ok) return ok;
  out->summary = r.Find("versions") == nullptr;
  return out->summary ? Status{} : ReadFull(r, out);
}

Status Decode(const Json& value, const std::string& path, std::vector<SlotObject>* out) {
  if (!value.is_array()) return Fail(ErrorCode::kInvalidArgument, path + ": expected an array");
  out->assign(value.size(), SlotObject{});
  for (size_t i = 0; i < value.size(); ++i) {
    if (Status ok = Decode(value[i], fmt::format("{}[{}]", path, i), &(*out)[i]); !ok) return ok;
  }
  return {};
}

}  // namespace keywarden
