// RequestHandler: rotate, rollback, revoke and reminders (DESIGN.md
// "Concepts", "Schedules").
#include <fmt/format.h>

#include <limits>
#include <optional>
#include <string>

#include "handlers/request_handler.h"
#include "keywarden/clock.h"
#include "keywarden/keyformat.h"
#include "keywarden/slot_json.h"
#include "storage/space_reserve.h"

namespace keywarden {
namespace {

// The store's errors name what happened; the next step for the user, in
// CLI verbs, is worded here. `error` keeps a hint it has already.
Error WithHint(Error error, std::string hint) {
  if (error.hint.empty()) error.hint = std::move(hint);
  return error;
}

// For a rotate or rollback refused because `pending` (when known) of
// `ref` is still pending.
std::string PendingHint(const SlotRef& ref, std::optional<int> pending) {
  const std::string number = pending ? std::to_string(*pending) : "N";
  return "wait for it (`keywarden validate " + ref.str() +
         " --wait`) or revoke it with `keywarden revoke " + ref.str() + " --version " + number +
         "`";
}

}  // namespace

Status RequestHandler::RefuseServedSecret(const Slot& slot, const SecretBuffer& secret,
                                          const ProviderInfo& provider) const {
  Result<FormatVerdict> verdict = CheckKeyFormat(secret.view(), provider, catalogue_);
  if (!verdict) return std::unexpected(verdict.error());
  const SecretBuffer offered =
      SecretBuffer::Copy(secret.view().substr(verdict->begin, verdict->end - verdict->begin));
  for (std::optional<int> number : {slot.current_version, slot.pending_version}) {
    if (!number) continue;
    const bool current = number == slot.current_version;
    auto sealed = store_.GetSlotAndSealed(slot.key(), [&](const Slot& s) -> Result<int64_t> {
      const Version* v = s.FindVersion(*number);
      if (!v) return Fail(ErrorCode::kNotFound, "version gone");
      return v->id;
    });
    // A version whose secret is gone or does not open cannot be the same
    // key as far as serving goes; the rotation replaces it.
    if (!sealed) continue;
    Result<SecretBuffer> served = keyring_->Unseal(sealed->second);
    if (!served || !served->Equals(offered)) continue;
    const std::string ref = slot.ref.str();
    return Fail(ErrorCode::kConflict,
                fmt::format("this key is already {} version {} of {}",
                            current ? "the current" : "the pending", *number, ref),
                current ? "rotate to a new key from the provider's console; to check the "
                          "current one again run `keywarden validate " +
                              ref + " --wait`"
                        : "wait for it (`keywarden validate " + ref + " --wait`)");
  }
  return {};
}

Result<RotateResult> RequestHandler::RotateSlot(RotateParams& params, const Peer& peer) {
  Result<Slot> slot = LoadSlot(params.ref, params.owner, peer);
  if (!slot) return std::unexpected(slot.error());
  const ProviderInfo* provider = catalogue_.Find(slot->provider);
  if (!provider) return Fail(ErrorCode::kInternal, "unknown provider " + slot->provider);
  // Rotating to the key already served would restart the rotation clock
  // with nothing replaced.
  if (Status same = RefuseServedSecret(*slot, params.secret, *provider); !same) {
    return std::unexpected(same.error());
  }
  std::vector<Diagnosis> warnings;
  Result<NewVersion> version = SealVersion(params.secret, *provider, &warnings);
  if (!version) return std::unexpected(version.error());
  version->created_at = NowSeconds();
  version->next_check_at = version->created_at;
  Result<Slot> stored = store_.AddVersion(
      slot->key(), *version, MakeEvent(peer, "rotate", *slot, std::nullopt, version->fingerprint));
  if (!stored && stored.error().code == ErrorCode::kConflict) {
    return std::unexpected(WithHint(stored.error(), PendingHint(slot->ref, slot->pending_version)));
  }
  if (!stored) return std::unexpected(stored.error());
  if (validation_) validation_->Poke();
  if (!stored->pending_version) {
    return Fail(ErrorCode::kInternal, "the new version of " + slot->ref.str() + " is not pending");
  }
  return RotateResult{SlotObjectOf(*stored, NowSeconds()), *stored->pending_version,
                      std::move(warnings)};
}

Result<VersionResult> RequestHandler::RollbackSlot(RollbackParams& params, const Peer& peer) {
  Result<Slot> slot = LoadSlot(params.ref, params.owner, peer);
  if (!slot) return std::unexpected(slot.error());
  Result<int> number = store_.BeginRollback(slot->key(), NowSeconds(),
                                            MakeEvent(peer, "rollback", *slot, std::nullopt, ""));
  if (!number && number.error().code == ErrorCode::kConflict) {
    return std::unexpected(WithHint(number.error(), PendingHint(slot->ref, slot->pending_version)));
  }
  if (!number && number.error().code == ErrorCode::kNotFound) {
    return std::unexpected(WithHint(number.error(),
                                    "a replaced key is kept for rollback only for the slot's "
                                    "grace (see `keywarden show`)"));
  }
  if (!number) return std::unexpected(number.error());
  if (validation_) validation_->Poke();
  Result<Slot> after = store_.GetSlot(slot->key());
  if (!after) return std::unexpected(after.error());
  return VersionResult{SlotObjectOf(*after, NowSeconds()), *number};
}

Result<VersionResult> RequestHandler::RevokeVersion(RevokeParams& params, const Peer& peer) {
  Result<Slot> slot = LoadSlot(params.ref, params.owner, peer);
  if (!slot) return std::unexpected(slot.error());
  const std::optional<int> version = params.version;
  const Version* target = slot->FindVersion(version.value_or(slot->current_version.value_or(0)));
  // Works on a full disk too, in the space reserve: a leaked key must be
  // revocable at once.
  Result<int> number = WithSpaceReserve<int>(
      options_.reserve, "revoke a key", slot->ref.str(),
      MakeEvent(peer, "revoke", *slot, std::nullopt, target ? target->fingerprint : ""),
      [&](const Event& event) { return store_.Revoke(slot->key(), version, event); });
  if (!number && number.error().code == ErrorCode::kNotFound && !version &&
      !slot->current_version) {
    return std::unexpected(
        WithHint(number.error(),
                 "name one with --version N (see `keywarden show " + slot->ref.str() + "`)"));
  }
  if (!number) return std::unexpected(number.error());
  Result<Slot> after = store_.GetSlot(slot->key());
  if (!after) return std::unexpected(after.error());
  return VersionResult{SlotObjectOf(*after, NowSeconds()), *number};
}

Result<RemindersResult> RequestHandler::ListReminders(RemindersParams& params, const Peer& peer) {
  SlotFilter filter;
  Result<std::optional<uint32_t>> scope = OwnerScope(params.owner, peer);
  if (!scope) return std::unexpected(scope.error());
  filter.owner_uid = *scope;
  Result<std::vector<Slot>> slots = store_.ListSlots(filter);
  if (!slots) return std::unexpected(slots.error());
  int64_t now = NowSeconds();
  RemindersResult out;
  for (const Slot& slot : *slots) {
    std::optional<int64_t> due = RotationDueAt(slot);
    std::optional<std::string> due_at;
    if (due) due_at = FormatTime(*due);
    if (slot.current_version && !slot.Usable()) {
      out.reminders.push_back({slot.ref.str(), slot.owner_uid, "alert", due_at,
                               "the current key is not usable: " + slot.UnusableReason()});
      continue;
    }
    if (!due || now < *due - slot.policy.remind_before) continue;
    bool overdue = now >= *due;
    out.reminders.push_back(
        {slot.ref.str(), slot.owner_uid, overdue ? "overdue" : "due_soon", due_at,
         overdue ? fmt::format("rotation is overdue by {}", FormatDuration(now - *due))
                 : fmt::format("rotation is due in {}", FormatDuration(*due - now))});
  }
  return out;
}

}  // namespace keywarden
