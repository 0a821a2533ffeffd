// RequestHandler: unlock, seal and rekey (docs/protocol.md). The work is
// the Vault's; this file checks who asks, takes passphrases out of the
// request into secure memory, and writes the audit events.
#include <fmt/format.h>

#include "handlers/request_handler.h"
#include "keys/vault.h"
#include "keywarden/clock.h"
#include "log.h"

namespace keywarden {
namespace {

// In system mode one user must not seal, unlock or rekey the daemon that
// everyone shares; user mode peers are always admin.
Status RequireAdmin(const Peer& peer, std::string_view what) {
  if (peer.admin) return {};
  return Fail(ErrorCode::kPermissionDenied,
              fmt::format("only root and members of keywarden-admin may {} keywardend", what));
}

// The audit record of an unlock, seal or rekey (never the passphrase).
template <class T>
void Audit(Store& store, const Peer& peer, const Result<T>& result, std::string action) {
  Event event;
  event.at = NowSeconds();
  event.uid = peer.uid;
  event.action = result ? std::move(action) : action + "_failed";
  if (!result) event.detail = result.error().message;
  if (Status s = store.AppendEvent(event); !s) {
    log::Error("cannot record event", {{"error", s.error().message}});
  }
}

// The Vault's answer as `R`: a bad shape is a bug (kInternal).
template <class R>
Result<R> Typed(Result<Json> answer) {
  if (!answer) return std::unexpected(answer.error());
  R out;
  if (Status ok = Decode(*answer, &out); !ok) return Fail(ErrorCode::kInternal, ok.error().message);
  return out;
}

}  // namespace

void RequestHandler::Unlock(UnlockParams& params, const Peer& peer, Reply reply) {
  if (!options_.vault) return reply(Fail(ErrorCode::kUnavailable, "unlock is not available"));
  if (Status ok = RequireAdmin(peer, "unlock"); !ok) return reply(std::unexpected(ok.error()));
  if (params.passphrase.empty()) {
    return reply(Fail(ErrorCode::kInvalidArgument, "params.passphrase: expected a string"));
  }
  options_.vault->Unlock(
      std::move(params.passphrase), params.create, [this, peer, reply](Result<Json> answer) {
        Result<UnlockResult> result = Typed<UnlockResult>(std::move(answer));
        // "No passphrase yet" only asks the CLI to confirm a new one, and an
        // unlocked daemon tried nothing: neither is worth an event.
        bool attempted = result ? !result->already : result.error().code != ErrorCode::kNotFound;
        if (attempted) Audit(store_, peer, result, "unlock");
        if (!result && attempted) {
          log::Warning("unlock failed",
                       {{"uid", std::to_string(peer.uid)}, {"error", result.error().message}});
        }
        // Checks postponed while sealed are due now.
        if (result && validation_) validation_->Poke();
        if (!result) return reply(std::unexpected(result.error()));
        reply(Encode(*result));
      });
}

Result<SealResult> RequestHandler::Seal(SealParams&, const Peer& peer) {
  if (!options_.vault) return Fail(ErrorCode::kUnavailable, "seal is not available");
  if (Status ok = RequireAdmin(peer, "seal"); !ok) return std::unexpected(ok.error());
  if (Status sealed = options_.vault->Seal(); !sealed) return std::unexpected(sealed.error());
  Result<SealResult> result = SealResult{true};
  Audit(store_, peer, result, "seal");
  return result;
}

void RequestHandler::Rekey(RekeyParams& params, const Peer& peer, Reply reply) {
  if (!options_.vault) return reply(Fail(ErrorCode::kUnavailable, "rekey is not available"));
  if (Status ok = RequireAdmin(peer, "rekey"); !ok) return reply(std::unexpected(ok.error()));
  options_.vault->Rekey(std::move(params.passphrase), std::move(params.new_passphrase),
                        [this, peer, reply](Result<Json> answer) {
                          Result<RekeyResult> result = Typed<RekeyResult>(std::move(answer));
                          Audit(store_, peer, result, "rekey");
                          if (!result) return reply(std::unexpected(result.error()));
                          reply(Encode(*result));
                        });
}

}  // namespace keywarden
