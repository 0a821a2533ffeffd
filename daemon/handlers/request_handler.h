// Turns one protocol request into a result. Knows nothing of sockets, so it
// is driven directly by unit tests; every method is listed in
// docs/protocol.md. Its methods live in one file per group: slots.cc,
// secrets.cc, tokens.cc, status.cc, events.cc, request_handler_rotation.cc and
// request_handler_vault.cc; the method table and the helpers they share
// in request_handler.cc.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "keys/keyring.h"
#include "keywarden/config.h"
#include "keywarden/messages_copies.h"
#include "keywarden/messages_rotation.h"
#include "keywarden/messages_slots.h"
#include "keywarden/messages_status.h"
#include "keywarden/messages_tokens.h"
#include "keywarden/messages_vault.h"
#include "keywarden/protocol.h"
#include "keywarden/providers.h"
#include "keywarden/store.h"
#include "validation/validation_service.h"

namespace keywarden {

// Who is asking, from SO_PEERCRED at accept.
struct Peer {
  uint32_t uid = 0;
  uint32_t gid = 0;
  int32_t pid = 0;
  bool admin = false;  // root, or a member of keywarden-admin (system mode)
};

// The most models a slot (or a key.check) may name: each is a probe, billed
// by most providers, at every check (docs/protocol.md).
inline constexpr size_t kMaxModels = 64;

class AuditWriter;
class SpaceReserve;
class TokenRegistry;
class Vault;

struct HandlerOptions {
  bool system_mode = false;
  std::filesystem::path db_file;
  std::filesystem::path socket_file;
  std::string master_key_origin;
  Vault* vault = nullptr;  // unlock, seal and rekey; null: not offered
  // Group-commits the events of served secrets; null: each is committed on
  // the spot, on the calling thread.
  AuditWriter* audit = nullptr;
  // slot.list's text reply comes in pieces of at most this many slots and
  // about list_piece_bytes of JSON (estimated from the slots listed so
  // far), so that producing the next piece (off the loop) overlaps the
  // client reading this one. Larger pieces were measured slower
  // (docs/benchmarks.md); the bytes bound what a connection whose client
  // stops reading holds (half of its 128 KiB of unsent output, connection.cc).
  int list_piece_slots = 200;
  size_t list_piece_bytes = 64 * 1024;
  // Released for a revoke or rm that finds the disk full; shown by status.
  // Null: none kept.
  SpaceReserve* reserve = nullptr;
  std::filesystem::path config_file;       // shown by status
  std::optional<std::string> gateway_url;  // shown by status; null: no gateway
  // Reloaded after token.add and token.rm; null: none (unit tests).
  TokenRegistry* tokens = nullptr;
};

class RequestHandler {
 public:
  using Reply = std::function<void(Result<Json>)>;
  // A successful result written as JSON text in pieces: each call appends
  // the next piece to `out` and returns whether more follow, or an error
  // (after which it must not be called again). Calls may come from any
  // thread, one at a time; the store is the only shared state they touch.
  using TextPieces = std::function<Result<bool>(std::string& out)>;
  using TextReply = std::function<void(TextPieces pieces)>;

  // The keyring is shared with validation: without one the daemon is
  // sealed and answers only status. `validation` may be null (unit tests):
  // then nothing is validated.
  RequestHandler(Store& store, const Config& config, const Catalogue& catalogue,
                 HandlerOptions options, std::optional<Keyring>& keyring,
                 ValidationService* validation);

  // Handles one request and calls `reply` exactly once, at once or, for
  // methods that wait on the network, later on the io_context.
  // `request.params` may be consumed: a secret in it is moved to secure
  // memory and the JSON copy wiped. Never throws.
  // With `text_reply`, slot.list answers through it instead, as text
  // written without a Json tree, options.list_piece_slots slots at a time
  // (docs/benchmarks.md, Scale): the connection produces each
  // piece on a worker thread while it writes the one before, and serves
  // other clients in between.
  void Handle(Request& request, const Peer& peer, Reply reply, TextReply text_reply = nullptr);

 private:
  // One entry of the method table (request_handler.cc): decodes the params
  // (keywarden/messages*.h), runs the method, encodes its result.
  using Entry = void (*)(RequestHandler& self, Json& params, const Peer& peer, Reply& reply,
                         TextReply& text_reply);
  template <class P, Result<typename P::Reply> (RequestHandler::*kMethod)(P&, const Peer&)>
  static void Run(RequestHandler& self, Json& params, const Peer& peer, Reply& reply,
                  TextReply& text_reply);
  // For methods that reply later, or whose reply the method encodes.
  template <class P, void (RequestHandler::*kMethod)(P&, const Peer&, Reply)>
  static void RunAsync(RequestHandler& self, Json& params, const Peer& peer, Reply& reply,
                       TextReply& text_reply);
  static void RunList(RequestHandler& self, Json& params, const Peer& peer, Reply& reply,
                      TextReply& text_reply);
  // The params of P, or nullopt after replying with the error (or with
  // `sealed` when the daemon is sealed and P is not answered sealed).
  template <class P>
  std::optional<P> Accept(Json& params, Reply& reply);

  // Slots (slots.cc).
  Result<AddSlotResult> AddSlot(AddSlotParams& params, const Peer& peer);
  Result<ListSlotsResult> ListSlots(ListSlotsParams& params, const Peer& peer);
  // {"slots": [...]} as JSON text, in pieces of list_piece_slots slots, each
  // read in its own transaction: every slot is as stored at some moment,
  // and a slot added or removed while a long list is written may or may
  // not be in it.
  Result<TextPieces> ListSlotsPieces(const ListSlotsParams& params, const Peer& peer);
  Result<SlotResult> ShowSlot(ShowSlotParams& params, const Peer& peer);
  // Edits a slot in place (models, endpoint, probe, rotation policy); a
  // change of what a check probes schedules the versions slot.validate
  // would check for now, the current one served meanwhile.
  Result<SetSlotResult> SetSlot(SetSlotParams& params, const Peer& peer);
  Result<RemoveSlotResult> RemoveSlot(RemoveSlotParams& params, const Peer& peer);
  void Validate(ValidateParams& params, const Peer& peer, Reply reply);
  void CheckKey(CheckKeyParams& params, const Peer& peer, Reply reply);

  // Serving secrets (secrets.cc). Replies once the get event is durable
  // (security.md D4); see audit_writer.h for the ordering against rm and
  // revoke.
  void GetSecret(GetSecretParams& params, const Peer& peer, Reply reply);
  // The current version of `slot` failed its integrity check while
  // `peer` asked for it: marks it failed (ValidationService's
  // RecordIntegrityFailure, or the bare record without validation).
  void RecordIntegrityFailure(const Slot& slot, const Peer& peer, const Error& error);

  // Rotation (request_handler_rotation.cc).
  Result<RotateResult> RotateSlot(RotateParams& params, const Peer& peer);
  Result<VersionResult> RollbackSlot(RollbackParams& params, const Peer& peer);
  Result<VersionResult> RevokeVersion(RevokeParams& params, const Peer& peer);
  Result<RemindersResult> ListReminders(RemindersParams& params, const Peer& peer);

  // Sealing and master keys (request_handler_vault.cc): unlock and rekey
  // run the KDF off the event loop.
  void Unlock(UnlockParams& params, const Peer& peer, Reply reply);
  Result<SealResult> Seal(SealParams& params, const Peer& peer);
  void Rekey(RekeyParams& params, const Peer& peer, Reply reply);

  // Copies of exported keys (copies.cc): the caller's own slots only.
  Result<CopyRecordResult> RecordCopy(CopyRecordParams& params, const Peer& peer);
  Result<CopyListResult> ListCopies(CopyListParams& params, const Peer& peer);
  Result<CopyForgetResult> ForgetCopy(CopyForgetParams& params, const Peer& peer);
  // Which of the caller's own slot versions `params.secret` is, by its
  // keyed fingerprint: nothing is unsealed, and another uid's key is
  // never named (admins included).
  Result<IdentifyKeyResult> IdentifyKey(IdentifyKeyParams& params, const Peer& peer);
  // The gateway's tokens (tokens.cc): each the caller's own.
  void AddToken(AddTokenParams& params, const Peer& peer, Reply reply);
  Result<ListTokensResult> ListTokens(ListTokensParams& params, const Peer& peer);
  Result<RemoveTokenResult> RemoveToken(RemoveTokenParams& params, const Peer& peer);
  // The slot names params.slots gives (bare names of params.env, or refs of
  // it); kInvalidArgument for a ref of another env or a malformed one.
  Result<std::vector<std::string>> TokenSlots(const AddTokenParams& params) const;

  // The daemon and its catalogue (status.cc); the audit trail (events.cc).
  Result<StatusResult> GetStatus(StatusParams& params, const Peer& peer);
  Result<ProvidersResult> Providers(ProvidersParams& params, const Peer& peer);
  Result<EventsResult> ListEvents(EventsParams& params, const Peer& peer);

  // The slot `ref` names (of `owner`, see RequestedOwner); kNotFound if
  // there is none. Another user's slot of the same ref is never read: it
  // takes the path of a missing slot, with the same code and message.
  Result<Slot> LoadSlot(const std::string& ref, const std::optional<uint32_t>& owner,
                        const Peer& peer);
  // `ref` with the default env for a bare NAME.
  Result<SlotRef> ParseRef(const std::string& ref) const;
  // The slot `ref` names: the caller's own (admins included), or, with
  // `owner`, that owner's (see RequestedOwner).
  Result<SlotKey> ParseKey(const std::string& ref, const std::optional<uint32_t>& owner,
                           const Peer& peer) const;
  // The owner a request names, if any. Only a caller who sees all may name
  // an owner other than itself; for anyone else that is kPermissionDenied,
  // whether or not the owner or its slots exist.
  Result<std::optional<uint32_t>> RequestedOwner(const std::optional<uint32_t>& owner,
                                                 const Peer& peer) const;
  // Whose slots and events a listing covers: the caller's own, unless it
  // sees all; then `owner`'s, or every owner's (nullopt).
  Result<std::optional<uint32_t>> OwnerScope(const std::optional<uint32_t>& owner,
                                             const Peer& peer) const;
  // kNotFound (as if it did not exist) for a slot `peer` may not see.
  Status CheckVisible(const Slot& slot, const Peer& peer) const;
  // Format-checks `secret` for `provider` and makes it a new version whose
  // seal binds it to its row; the format warnings go to `*warnings`. The
  // result refers to `secret` and the keyring: store it while both live.
  Result<NewVersion> SealVersion(const SecretBuffer& secret, const ProviderInfo& provider,
                                 std::vector<Diagnosis>* warnings) const;
  // kConflict when `secret` (as the format check trims it) is the secret
  // of `slot`'s current or pending version: compared on the unsealed
  // secrets, in constant time.
  Status RefuseServedSecret(const Slot& slot, const SecretBuffer& secret,
                            const ProviderInfo& provider) const;
  bool SeesAll(const Peer& peer) const { return !options_.system_mode || peer.admin; }
  Event MakeEvent(const Peer& peer, std::string action, const Slot& slot,
                  std::optional<int> version, std::string fingerprint) const;

  Store& store_;
  const Config& config_;
  const Catalogue& catalogue_;
  HandlerOptions options_;
  std::optional<Keyring>& keyring_;
  ValidationService* validation_;
  int64_t started_at_;
  // Every method, by name (request_handler.cc).
  std::map<std::string, Entry, std::less<>> methods_;
};

}  // namespace keywarden
