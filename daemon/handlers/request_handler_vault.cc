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

// Moves params[key] into secure memory and wipes the JSON copy. An absent
// key gives an empty buffer.
Result<SecretBuffer> TakePassphrase(Json& params, std::string_view key) {
  auto it = params.find(key);
  if (it == params.end()) return SecretBuffer();
  if (!it->is_string()) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("params.{}: expected a string", key));
  }
  return SecretBuffer::Take(it->get_ref<std::string&>());
}

// In system mode one user must not seal, unlock or rekey the daemon that
// everyone shares; user mode peers are always admin.
Status RequireAdmin(const Peer& peer, std::string_view what) {
  if (peer.admin) return {};
  return Fail(ErrorCode::kPermissionDenied,
              fmt::format("only root and members of keywarden-admin may {} keywardend", what));
}

// The audit record of an unlock, seal or rekey (never the passphrase).
void Audit(Store& store, const Peer& peer, const Result<Json>& result, std::string action) {
  Event event;
  event.at = NowSeconds();
  event.uid = peer.uid;
  event.action = result ? std::move(action) : action + "_failed";
  if (!result) event.detail = result.error().message;
  if (Status s = store.AppendEvent(event); !s) {
    log::Error("cannot record event", {{"error", s.error().message}});
  }
}

}  // namespace

void RequestHandler::Unlock(Json& params, const Peer& peer, Reply reply) {
  Result<SecretBuffer> passphrase = TakePassphrase(params, "passphrase");
  if (!passphrase) return reply(std::unexpected(passphrase.error()));
  if (!options_.vault) return reply(Fail(ErrorCode::kUnavailable, "unlock is not available"));
  if (Status ok = RequireAdmin(peer, "unlock"); !ok) return reply(std::unexpected(ok.error()));
  if (passphrase->empty()) {
    return reply(Fail(ErrorCode::kInvalidArgument, "params.passphrase: expected a string"));
  }
  auto create_it = params.find("create");
  bool create = create_it != params.end() && create_it->is_boolean() && create_it->get<bool>();
  options_.vault->Unlock(std::move(*passphrase), create, [this, peer, reply](Result<Json> result) {
    // "No passphrase yet" only asks the CLI to confirm a new one, and an
    // unlocked daemon tried nothing: neither is worth an event.
    bool attempted =
        result ? !(*result)["already"].get<bool>() : result.error().code != ErrorCode::kNotFound;
    if (attempted) Audit(store_, peer, result, "unlock");
    if (!result && attempted) {
      log::Warning("unlock failed",
                   {{"uid", std::to_string(peer.uid)}, {"error", result.error().message}});
    }
    // Checks postponed while sealed are due now.
    if (result && validation_) validation_->Poke();
    reply(std::move(result));
  });
}

Result<Json> RequestHandler::Seal(Json&, const Peer& peer) {
  if (!options_.vault) return Fail(ErrorCode::kUnavailable, "seal is not available");
  if (Status ok = RequireAdmin(peer, "seal"); !ok) return std::unexpected(ok.error());
  if (Status sealed = options_.vault->Seal(); !sealed) return std::unexpected(sealed.error());
  Json result = {{"sealed", true}};
  Audit(store_, peer, result, "seal");
  return result;
}

void RequestHandler::Rekey(Json& params, const Peer& peer, Reply reply) {
  Result<SecretBuffer> current = TakePassphrase(params, "passphrase");
  Result<SecretBuffer> next = TakePassphrase(params, "new_passphrase");
  if (!current) return reply(std::unexpected(current.error()));
  if (!next) return reply(std::unexpected(next.error()));
  if (!options_.vault) return reply(Fail(ErrorCode::kUnavailable, "rekey is not available"));
  if (Status ok = RequireAdmin(peer, "rekey"); !ok) return reply(std::unexpected(ok.error()));
  options_.vault->Rekey(std::move(*current), std::move(*next),
                        [this, peer, reply](Result<Json> result) {
                          Audit(store_, peer, result, "rekey");
                          reply(std::move(result));
                        });
}

}  // namespace keywarden
