#include "export/fetch.h"

#include "reply.h"

namespace keywarden::cli::exporting {

Result<Slot> FetchSlot(Client& client, const std::string& ref, const std::string& purpose) {
  Json rest;
  const GetSecretParams params{ref, purpose, std::nullopt};
  Result<SecretBuffer> secret = client.CallForSecret(params.kMethod, Encode(params), &rest);
  if (!secret) return std::unexpected(secret.error());
  Result<GetSecretResult> got = DecodeResult<GetSecretResult>(rest);
  if (!got) return std::unexpected(got.error());
  Slot slot;
  slot.ref = got->ref.empty() ? ref : got->ref;
  size_t slash = slot.ref.find('/');
  slot.env = slot.ref.substr(0, slash);
  slot.name = slash == std::string::npos ? slot.ref : slot.ref.substr(slash + 1);
  slot.provider = std::move(got->provider);
  slot.endpoint = std::move(got->endpoint);
  slot.base_url = std::move(got->base_url);
  slot.env_var = std::move(got->env_var);
  slot.models = std::move(got->models);
  slot.version = got->version;
  slot.secret = std::move(*secret);
  return slot;
}

}  // namespace keywarden::cli::exporting
