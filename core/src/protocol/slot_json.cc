#include "keywarden/slot_json.h"

#include "keywarden/clock.h"

namespace keywarden {
namespace {

Json OptionalTime(const std::optional<int64_t>& t) {
  return t ? Json(FormatTime(*t)) : Json(nullptr);
}

Json VersionToJson(const Version& v) {
  return {{"version", v.number},
          {"state", VersionStateName(v.state)},
          {"fingerprint", v.mask},
          {"created_at", FormatTime(v.created_at)},
          {"verified_at", OptionalTime(v.verified_at)},
          {"next_check_at", OptionalTime(v.next_check_at)},
          {"billed_probes", v.billed_probes},
          {"checks", ChecksJson(v.checks)},
          {"diagnoses", DiagnosesJson(v.diagnoses)}};
}

}  // namespace

Json DiagnosesJson(const std::vector<Diagnosis>& diagnoses) {
  Json out = Json::array();
  for (const Diagnosis& d : diagnoses) out.push_back({{"code", d.code}, {"message", d.message}});
  return out;
}

Json ChecksJson(const std::vector<Check>& checks) {
  Json out = Json::array();
  for (const Check& c : checks) {
    out.push_back({{"model", c.model},
                   {"outcome", OutcomeName(c.outcome)},
                   {"http_status", c.http_status},
                   {"detail", c.detail},
                   {"checked_at", FormatTime(c.checked_at)}});
  }
  return out;
}

std::optional<int64_t> RotationDueAt(const Slot& slot) {
  if (!slot.current_version) return std::nullopt;
  const Version* current = slot.FindVersion(*slot.current_version);
  if (!current) return std::nullopt;
  return current->verified_at.value_or(current->created_at) + slot.policy.rotate_every;
}

Json SlotToJson(const Slot& slot, int64_t now) {
  Json versions = Json::array();
  for (const Version& v : slot.versions) versions.push_back(VersionToJson(v));
  const Version* newest = slot.Newest();
  std::optional<int64_t> due = RotationDueAt(slot);
  Json optional_current = slot.current_version ? Json(*slot.current_version) : Json(nullptr);
  Json optional_pending = slot.pending_version ? Json(*slot.pending_version) : Json(nullptr);
  return {{"ref", slot.ref.str()},
          {"env", slot.ref.env},
          {"name", slot.ref.name},
          {"provider", slot.provider},
          {"endpoint", slot.endpoint},
          {"models", slot.models},
          {"probe", slot.probe},
          {"usable", slot.Usable()},
          {"state", newest ? Json(VersionStateName(newest->state)) : Json(nullptr)},
          {"current_version", optional_current},
          {"pending_version", optional_pending},
          {"rotation",
           {{"rotate_every", slot.policy.rotate_every},
            {"remind_before", slot.policy.remind_before},
            {"grace", slot.policy.grace}}},
          {"rotation_due_at", OptionalTime(due)},
          {"reminder_due", due.has_value() && now >= *due - slot.policy.remind_before},
          {"owner_uid", slot.owner_uid},
          {"created_at", FormatTime(slot.created_at)},
          {"versions", std::move(versions)},
          {"diagnoses", newest ? DiagnosesJson(newest->diagnoses) : Json::array()}};
}

Json EventToJson(const Event& e) {
  return {{"id", e.id},
          {"at", FormatTime(e.at)},
          {"uid", e.uid},
          {"action", e.action},
          {"ref", e.ref},
          {"version", e.version ? Json(*e.version) : Json(nullptr)},
          {"fingerprint", e.fingerprint},
          {"detail", e.detail}};
}

}  // namespace keywarden
