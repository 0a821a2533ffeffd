// slot.add, slot.list, slot.show, slot.get, slot.set, slot.rm,
// slot.validate and key.check (see keywarden/messages.h).
//
// The slot object (docs/protocol.md, "The slot object") is a SlotObject
// (keywarden/slot_object.h), every member decoded and checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keywarden/messages.h"
#include "keywarden/secret.h"
#include "keywarden/slot.h"
#include "keywarden/slot_object.h"

namespace keywarden {

struct AddSlotResult;
struct AddSlotParams {
  static constexpr std::string_view kMethod = "slot.add";
  static constexpr std::array<std::string_view, 9> kFields = {
      "ref",   "provider",     "models",        "secret", "endpoint",
      "probe", "rotate_every", "remind_before", "grace"};
  using Reply = AddSlotResult;
  std::string ref;
  std::string provider;
  std::vector<std::string> models;
  SecretBuffer secret;
  std::optional<std::string> endpoint;                            // a name or a URL
  std::optional<std::string> probe;                               // complete or list
  std::optional<std::string> rotate_every, remind_before, grace;  // durations
};

struct AddSlotResult {
  SlotObject slot;
  std::vector<Diagnosis> warnings;
};

struct ListSlotsResult;
struct ListSlotsParams {
  static constexpr std::string_view kMethod = "slot.list";
  static constexpr std::array<std::string_view, 3> kFields = {"env", "summary", "owner"};
  using Reply = ListSlotsResult;
  std::optional<std::string> env;
  bool summary = false;
  std::optional<uint32_t> owner;
};

struct ListSlotsResult {
  std::vector<SlotObject> slots;  // with `summary`, summaries
};

struct SlotResult;
// slot.show and slot.rm: a ref and, optionally, its owner.
struct ShowSlotParams {
  static constexpr std::string_view kMethod = "slot.show";
  static constexpr std::array<std::string_view, 2> kFields = {"ref", "owner"};
  using Reply = SlotResult;
  std::string ref;
  std::optional<uint32_t> owner;
};

struct SlotResult {
  SlotObject slot;
};

struct SetSlotResult;
// slot.set: edits a slot in place. At most one of `models`, `add_model`
// and `drop_model`; every member left out keeps its value. Decoding
// refuses two of the model changes together; an empty change is the
// handler's to refuse (it knows the slot).
struct SetSlotParams {
  static constexpr std::string_view kMethod = "slot.set";
  static constexpr std::array<std::string_view, 10> kFields = {
      "ref",   "models",       "add_model",     "drop_model", "endpoint",
      "probe", "rotate_every", "remind_before", "grace",      "owner"};
  using Reply = SetSlotResult;
  std::string ref;
  std::optional<std::vector<std::string>> models;  // the whole new list
  std::optional<std::string> add_model, drop_model;
  std::optional<std::string> endpoint;                            // a name or a URL
  std::optional<std::string> probe;                               // complete or list
  std::optional<std::string> rotate_every, remind_before, grace;  // durations
  std::optional<uint32_t> owner;
};

// One setting that slot.set changed, as the event records it.
struct SlotSettingChange {
  std::string field;  // models, endpoint, probe, rotate_every, remind_before, grace
  std::string from, to;
  friend bool operator==(const SlotSettingChange&, const SlotSettingChange&) = default;
};

struct SetSlotResult {
  SlotObject slot;
  std::vector<SlotSettingChange> changes;
  // The numbers of the versions a check was scheduled for at once (a
  // change of models, endpoint or probe); empty for a policy-only change.
  std::vector<int64_t> rechecking;
};

struct GetSecretResult;
struct GetSecretParams {
  static constexpr std::string_view kMethod = "slot.get";
  static constexpr std::array<std::string_view, 3> kFields = {"ref", "purpose", "owner"};
  using Reply = GetSecretResult;
  std::string ref;
  // get, export or exec: the action of the audit event. Decoding refuses
  // any other.
  std::optional<std::string> purpose;
  std::optional<uint32_t> owner;
};

// Decode fills every member but `secret`, which the client unescapes
// straight into secure memory (ParseSecretResponse); Encode leaves it out
// too (the daemon adds it last).
struct GetSecretResult {
  SecretBuffer secret;
  std::string ref;
  int64_t version = 0;
  std::string provider;
  std::string endpoint;
  std::string base_url;
  std::string env_var;
  std::vector<std::string> models;
};

struct RemoveSlotResult;
struct RemoveSlotParams {
  static constexpr std::string_view kMethod = "slot.rm";
  static constexpr std::array<std::string_view, 2> kFields = {"ref", "owner"};
  using Reply = RemoveSlotResult;
  std::string ref;
  std::optional<uint32_t> owner;
};

struct RemoveSlotResult {
  std::string removed;  // the ref
};

struct ValidateResult;
struct ValidateParams {
  static constexpr std::string_view kMethod = "slot.validate";
  static constexpr std::array<std::string_view, 4> kFields = {"refs", "all", "wait", "owner"};
  using Reply = ValidateResult;
  std::vector<std::string> refs;  // required unless `all`
  bool all = false;
  bool wait = false;
  std::optional<uint32_t> owner;
};

struct ValidateResult {
  std::vector<SlotObject> slots;
};

struct CheckKeyResult;
struct CheckKeyParams {
  static constexpr std::string_view kMethod = "key.check";
  static constexpr std::array<std::string_view, 5> kFields = {"provider", "models", "secret",
                                                              "endpoint", "probe"};
  using Reply = CheckKeyResult;
  std::string provider;
  std::vector<std::string> models;
  SecretBuffer secret;
  std::optional<std::string> endpoint;
  std::optional<std::string> probe;
};

struct CheckKeyResult {
  std::string verdict;  // verified, failed or inconclusive
  std::string base_url;
  int64_t billed_probes = 0;
  std::vector<Check> checks;
  std::vector<Diagnosis> diagnoses;
};

Status Decode(Json& params, AddSlotParams* out);
Json Encode(const AddSlotParams& params);
std::vector<SecretParam> SecretsOf(const AddSlotParams& params);
Status Decode(const Json& result, AddSlotResult* out);
Json Encode(const AddSlotResult& result);

Status Decode(Json& params, ListSlotsParams* out);
Json Encode(const ListSlotsParams& params);
Status Decode(const Json& result, ListSlotsResult* out);
Json Encode(const ListSlotsResult& result);

Status Decode(Json& params, ShowSlotParams* out);
Json Encode(const ShowSlotParams& params);
Status Decode(const Json& result, SlotResult* out);
Json Encode(const SlotResult& result);

Status Decode(Json& params, GetSecretParams* out);
Json Encode(const GetSecretParams& params);
Status Decode(const Json& result, GetSecretResult* out);
Json Encode(const GetSecretResult& result);

Status Decode(Json& params, SetSlotParams* out);
Json Encode(const SetSlotParams& params);
Status Decode(const Json& result, SetSlotResult* out);
Json Encode(const SetSlotResult& result);

Status Decode(Json& params, RemoveSlotParams* out);
Json Encode(const RemoveSlotParams& params);
Status Decode(const Json& result, RemoveSlotResult* out);
Json Encode(const RemoveSlotResult& result);

Status Decode(Json& params, ValidateParams* out);
Json Encode(const ValidateParams& params);
Status Decode(const Json& result, ValidateResult* out);
Json Encode(const ValidateResult& result);

Status Decode(Json& params, CheckKeyParams* out);
Json Encode(const CheckKeyParams& params);
std::vector<SecretParam> SecretsOf(const CheckKeyParams& params);
Status Decode(const Json& result, CheckKeyResult* out);
Json Encode(const CheckKeyResult& result);

}  // namespace keywarden
