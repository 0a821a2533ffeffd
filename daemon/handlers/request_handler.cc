#include "handlers/request_handler.h"

#include <fmt/format.h>

#include "keywarden/clock.h"
#include "keywarden/keyformat.h"

namespace keywarden {
namespace {

// A refused request is dropped whole: its strings (a secret among them) are
// wiped first, since no handler took them into secure memory.
void WipeStrings(Json& params) {
  if (!params.is_object()) return;
  for (Json& value : params) {
    if (value.is_string()) Wipe(value.get_ref<std::string&>());
  }
}

}  // namespace

RequestHandler::RequestHandler(Store& store, const Config& config, const Catalogue& catalogue,
                               HandlerOptions options, std::optional<Keyring>& keyring,
                               ValidationService* validation)
    : store_(store),
      config_(config),
      catalogue_(catalogue),
      options_(std::move(options)),
      keyring_(keyring),
      validation_(validation),
      started_at_(NowSeconds()) {
  // The params each method takes are its params struct's kFields
  // (keywarden/messages*.h); any other is refused, so that a misspelt
  // option is an error, not silently a default.
  methods_ = {
      {"status", &Run<StatusParams, &RequestHandler::GetStatus>},
      {"providers.list", &Run<ProvidersParams, &RequestHandler::Providers>},
      {"slot.add", &Run<AddSlotParams, &RequestHandler::AddSlot>},
      {"slot.list", &RunList},
      {"slot.show", &Run<ShowSlotParams, &RequestHandler::ShowSlot>},
      {"slot.get", &RunAsync<GetSecretParams, &RequestHandler::GetSecret>},
      {"slot.set", &Run<SetSlotParams, &RequestHandler::SetSlot>},
      {"slot.rm", &Run<RemoveSlotParams, &RequestHandler::RemoveSlot>},
      {"events.list", &Run<EventsParams, &RequestHandler::ListEvents>},
      {"slot.validate", &RunAsync<ValidateParams, &RequestHandler::Validate>},
      {"key.check", &RunAsync<CheckKeyParams, &RequestHandler::CheckKey>},
      {"slot.rotate", &Run<RotateParams, &RequestHandler::RotateSlot>},
      {"slot.rollback", &Run<RollbackParams, &RequestHandler::RollbackSlot>},
      {"slot.revoke", &Run<RevokeParams, &RequestHandler::RevokeVersion>},
      {"reminders.list", &Run<RemindersParams, &RequestHandler::ListReminders>},
      {"unlock", &RunAsync<UnlockParams, &RequestHandler::Unlock>},
      {"seal", &Run<SealParams, &RequestHandler::Seal>},
      {"rekey", &RunAsync<RekeyParams, &RequestHandler::Rekey>},
      {"copy.record", &Run<CopyRecordParams, &RequestHandler::RecordCopy>},
      {"copy.list", &Run<CopyListParams, &RequestHandler::ListCopies>},
      {"copy.forget", &Run<CopyForgetParams, &RequestHandler::ForgetCopy>},
      {"key.identify", &Run<IdentifyKeyParams, &RequestHandler::IdentifyKey>},
      {"token.add", &RunAsync<AddTokenParams, &RequestHandler::AddToken>},
      {"token.list", &Run<ListTokensParams, &RequestHandler::ListTokens>},
      {"token.rm", &Run<RemoveTokenParams, &RequestHandler::RemoveToken>},
  };
}

void RequestHandler::Handle(Request& request, const Peer& peer, Reply reply, TextReply text_reply) {
  auto method = methods_.find(request.method);
  if (method == methods_.end()) {
    reply(Fail(ErrorCode::kProtocol,
               fmt::format("unknown method \"{}\"", request.method.substr(0, 64)),
               "see docs/protocol.md for the methods this daemon speaks"));
    return;
  }
  method->second(*this, request.params, peer, reply, text_reply);
}

template <class P>
std::optional<P> RequestHandler::Accept(Json& params, Reply& reply) {
  Result<P> decoded = DecodeParams<P>(params);
  if (!decoded) {
    WipeStrings(params);
    reply(std::unexpected(decoded.error()));
    return std::nullopt;
  }
  if (!keyring_ && P::kMethod != StatusParams::kMethod && P::kMethod != UnlockParams::kMethod) {
    reply(Fail(ErrorCode::kSealed, "keywardend is sealed", "run `keywarden unlock`"));
    return std::nullopt;
  }
  return std::move(*decoded);
}

template <class P, Result<typename P::Reply> (RequestHandler::*kMethod)(P&, const Peer&)>
void RequestHandler::Run(RequestHandler& self, Json& params, const Peer& peer, Reply& reply,
                         TextReply&) {
  std::optional<P> accepted = self.Accept<P>(params, reply);
  if (!accepted) return;
  Result<typename P::Reply> result = (self.*kMethod)(*accepted, peer);
  if (!result) return reply(std::unexpected(result.error()));
  reply(Encode(*result));
}

template <class P, void (RequestHandler::*kMethod)(P&, const Peer&, RequestHandler::Reply)>
void RequestHandler::RunAsync(RequestHandler& self, Json& params, const Peer& peer, Reply& reply,
                              TextReply&) {
  std::optional<P> accepted = self.Accept<P>(params, reply);
  if (!accepted) return;
  (self.*kMethod)(*accepted, peer, std::move(reply));
}

void RequestHandler::RunList(RequestHandler& self, Json& params, const Peer& peer, Reply& reply,
                             TextReply& text_reply) {
  std::optional<ListSlotsParams> accepted = self.Accept<ListSlotsParams>(params, reply);
  if (!accepted) return;
  if (!text_reply) {
    Result<ListSlotsResult> result = self.ListSlots(*accepted, peer);
    if (!result) return reply(std::unexpected(result.error()));
    return reply(Encode(*result));
  }
  Result<TextPieces> pieces = self.ListSlotsPieces(*accepted, peer);
  if (!pieces) return reply(std::unexpected(pieces.error()));
  text_reply(std::move(*pieces));
}

Result<NewVersion> RequestHandler::SealVersion(const SecretBuffer& secret,
                                               const ProviderInfo& provider,
                                               std::vector<Diagnosis>* warnings) const {
  if (!keyring_) return Fail(ErrorCode::kSealed, "the daemon is sealed");
  Result<FormatVerdict> verdict = CheckKeyFormat(secret.view(), provider, catalogue_);
  if (!verdict) return std::unexpected(verdict.error());
  std::string_view key = secret.view().substr(verdict->begin, verdict->end - verdict->begin);
  NewVersion version;
  version.uuid = RandomUuid();
  version.data_key_version = keyring_->data_key_version();
  // Sealed by the store once the row's slot id and number are known; `key`
  // points into `secret`, which outlives the store call that uses it.
  version.seal = [keyring = &*keyring_, key](const RowBinding& row) {
    return keyring->Seal(key, row);
  };
  version.mask = MaskKey(key);
  version.fingerprint = keyring_->Fingerprint(key);
  version.diagnoses = verdict->warnings;
  *warnings = verdict->warnings;
  return version;
}

Result<std::optional<uint32_t>> RequestHandler::RequestedOwner(const std::optional<uint32_t>& owner,
                                                               const Peer& peer) const {
  // Decided on the request alone, before anything is read: the answer says
  // nothing of what that owner has.
  if (owner && *owner != peer.uid && !SeesAll(peer)) {
    return Fail(ErrorCode::kPermissionDenied,
                "only root and members of keywarden-admin may name another owner's slots");
  }
  return owner;
}

Result<std::optional<uint32_t>> RequestHandler::OwnerScope(const std::optional<uint32_t>& owner,
                                                           const Peer& peer) const {
  Result<std::optional<uint32_t>> requested = RequestedOwner(owner, peer);
  if (!requested || *requested || SeesAll(peer)) return requested;
  return peer.uid;
}

Event RequestHandler::MakeEvent(const Peer& peer, std::string action, const Slot& slot,
                                std::optional<int> version, std::string fingerprint) const {
  Event event;
  event.at = NowSeconds();
  event.uid = peer.uid;
  event.owner_uid = slot.owner_uid;
  event.action = std::move(action);
  event.ref = slot.ref.str();
  event.version = version;
  event.fingerprint = std::move(fingerprint);
  return event;
}

Result<SlotRef> RequestHandler::ParseRef(const std::string& ref) const {
  return SlotRef::Parse(ref, config_.default_env);
}

Result<SlotKey> RequestHandler::ParseKey(const std::string& ref,
                                         const std::optional<uint32_t>& owner,
                                         const Peer& peer) const {
  Result<SlotRef> parsed = ParseRef(ref);
  if (!parsed) return std::unexpected(parsed.error());
  Result<std::optional<uint32_t>> requested = RequestedOwner(owner, peer);
  if (!requested) return std::unexpected(requested.error());
  return SlotKey{requested->value_or(peer.uid), std::move(*parsed)};
}

Status RequestHandler::CheckVisible(const Slot& slot, const Peer& peer) const {
  if (SeesAll(peer) || slot.owner_uid == peer.uid) return {};
  // The store's words for a missing slot (sqlite_store.cc), so that the two
  // cannot be told apart.
  return Fail(ErrorCode::kNotFound, "no slot " + slot.ref.str());
}

Result<Slot> RequestHandler::LoadSlot(const std::string& ref, const std::optional<uint32_t>& owner,
                                      const Peer& peer) {
  Result<SlotKey> key = ParseKey(ref, owner, peer);
  if (!key) return std::unexpected(key.error());
  Result<Slot> slot = store_.GetSlot(*key);
  if (!slot) return slot;
  if (Status visible = CheckVisible(*slot, peer); !visible) return std::unexpected(visible.error());
  return slot;
}

}  // namespace keywarden
