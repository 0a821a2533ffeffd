// slot.rotate, slot.rollback, slot.revoke and reminders.list (see
// keywarden/messages.h; the slot object as in messages_slots.h).
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

struct RotateResult;
struct RotateParams {
  static constexpr std::string_view kMethod = "slot.rotate";
  static constexpr std::array<std::string_view, 3> kFields = {"ref", "secret", "owner"};
  using Reply = RotateResult;
  std::string ref;
  SecretBuffer secret;
  std::optional<uint32_t> owner;
};

struct RotateResult {
  SlotObject slot;
  int64_t version = 0;  // the new pending version
  std::vector<Diagnosis> warnings;
};

// slot.rollback and slot.revoke answer the slot and the version concerned.
struct VersionResult {
  SlotObject slot;
  int64_t version = 0;
};

struct RollbackParams {
  static constexpr std::string_view kMethod = "slot.rollback";
  static constexpr std::array<std::string_view, 2> kFields = {"ref", "owner"};
  using Reply = VersionResult;
  std::string ref;
  std::optional<uint32_t> owner;
};

struct RevokeParams {
  static constexpr std::string_view kMethod = "slot.revoke";
  static constexpr std::array<std::string_view, 3> kFields = {"ref", "version", "owner"};
  using Reply = VersionResult;
  std::string ref;
  // 1 to INT_MAX ("params.version: expected a version number"); the
  // current version when absent.
  std::optional<int> version;
  std::optional<uint32_t> owner;
};

struct RemindersResult;
struct RemindersParams {
  static constexpr std::string_view kMethod = "reminders.list";
  static constexpr std::array<std::string_view, 1> kFields = {"owner"};
  using Reply = RemindersResult;
  std::optional<uint32_t> owner;
};

struct Reminder {
  std::string ref;
  uint32_t owner_uid = 0;
  std::string kind;  // due_soon, overdue or alert
  std::optional<std::string> rotation_due_at;
  std::string message;
};

struct RemindersResult {
  std::vector<Reminder> reminders;
};

Status Decode(Json& params, RotateParams* out);
Json Encode(const RotateParams& params);
std::vector<SecretParam> SecretsOf(const RotateParams& params);
Status Decode(const Json& result, RotateResult* out);
Json Encode(const RotateResult& result);

Status Decode(Json& params, RollbackParams* out);
Json Encode(const RollbackParams& params);
Status Decode(Json& params, RevokeParams* out);
Json Encode(const RevokeParams& params);
Status Decode(const Json& result, VersionResult* out);
Json Encode(const VersionResult& result);

Status Decode(Json& params, RemindersParams* out);
Json Encode(const RemindersParams& params);
Status Decode(const Json& result, RemindersResult* out);
Json Encode(const RemindersResult& result);

}  // namespace keywarden
