// RequestHandler: slot.get, the one method that serves a secret
// (docs/protocol.md "Secrets on the wire").
#include <fmt/format.h>

#include <memory>

#include "audit_writer.h"
#include "handlers/request_handler.h"
#include "keywarden/clock.h"

namespace keywarden {

void RequestHandler::GetSecret(GetSecretParams& params, const Peer& peer, Reply reply) {
  // What the CLI does with the secret, for the audit trail.
  std::string action = params.purpose.value_or("get");
  Result<SlotKey> key = ParseKey(params.ref, params.owner, peer);
  if (!key) return reply(std::unexpected(key.error()));
  // Filled inside the audit batch's transaction, sent once it commits. The
  // secret stays in secure memory until then; it joins the reply (which the
  // connection wipes) only then, and never on failure.
  struct Served {
    GetSecretResult result;
    std::optional<Slot> damaged;  // its current version failed the integrity check
  };
  auto served = std::make_shared<Served>();
  ServeRequest request{
      *key,
      [this, peer, action = std::move(action), served](
          const Slot& slot, const SealedSecret* sealed) -> Result<Event> {
        if (Status visible = CheckVisible(slot, peer); !visible)
          return std::unexpected(visible.error());
        if (!slot.Usable()) {
          return Fail(ErrorCode::kNotUsable,
                      fmt::format("{} is not usable: {}", slot.ref.str(), slot.UnusableReason()),
                      fmt::format("see `keywarden show {}`", slot.ref.str()));
        }
        // Sealed after this request arrived: nothing may be unsealed now.
        if (!keyring_)
          return Fail(ErrorCode::kSealed, "keywardend is sealed", "run `keywarden unlock`");
        const Version* current = slot.FindVersion(*slot.current_version);
        if (sealed == nullptr) {
          return Fail(ErrorCode::kNotFound, fmt::format("the secret of {} version {} was destroyed",
                                                        slot.ref.str(), current->number));
        }
        Result<SecretBuffer> secret = keyring_->Unseal(*sealed);
        if (!secret) {
          served->damaged = slot;  // recorded once the batch is over: no store call in here
          return std::unexpected(secret.error());
        }
        GetSecretResult& result = served->result;
        result.secret = std::move(*secret);
        const ProviderInfo* provider = catalogue_.Find(slot.provider);
        Result<std::string> base = provider ? catalogue_.BaseUrl(*provider, slot.endpoint, config_)
                                            : Result<std::string>("");
        result.ref = slot.ref.str();
        result.version = current->number;
        result.provider = slot.provider;
        result.endpoint = slot.endpoint;
        result.base_url = base ? std::move(*base) : std::string();
        result.env_var = provider ? provider->EnvVarFor(slot.endpoint) : std::string();
        result.models = slot.models;
        return MakeEvent(peer, action, slot, current->number, current->fingerprint);
      }};
  auto send = [this, peer, reply = std::move(reply), served](Status outcome) {
    if (!outcome && served->damaged)
      RecordIntegrityFailure(*served->damaged, peer, outcome.error());
    if (!outcome) return reply(std::unexpected(outcome.error()));
    Json out = Encode(served->result);
    out["secret"] = std::string(served->result.secret.view());
    reply(std::move(out));
  };
  if (!options_.audit) return send(ServeNow(store_, request));
  options_.audit->Submit(std::move(request), std::move(send));
}

void RequestHandler::RecordIntegrityFailure(const Slot& slot, const Peer& peer,
                                            const Error& error) {
  const Version* current = slot.current_version ? slot.FindVersion(*slot.current_version) : nullptr;
  if (current == nullptr) return;
  if (validation_) return validation_->RecordIntegrityFailure(slot, *current, error, peer.uid);
  (void)store_.RecordValidation(
      IntegrityFailureRecord(slot, *current, error, NowSeconds(), peer.uid));
}

}  // namespace keywarden
