#include "export/fetch.h"

#include "keywarden/providers.h"
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

std::string GatewayEndpointUrl(std::string_view gateway_url, std::string_view provider,
                               std::string_view endpoint, std::string_view slot_name) {
  while (gateway_url.ends_with('/')) gateway_url.remove_suffix(1);
  const std::string_view name = provider == "openai-compatible" ? slot_name : endpoint;
  return std::string(gateway_url) + "/p/" + std::string(provider) + "/" + std::string(name);
}

Result<Slot> FetchGatewaySlot(Client& client, const std::string& ref, bool* usable) {
  Result<StatusResult> status = CallTyped(client, StatusParams{});
  if (!status) return std::unexpected(status.error());
  if (!status->gateway_url) {
    return Fail(ErrorCode::kNotUsable, "keywardend runs no gateway",
                "set gateway.listen in config.json (\"gateway\": {\"listen\": "
                "\"127.0.0.1:8370\"}), then reload keywardend (SIGHUP) or restart it");
  }
  Result<SlotResult> shown = CallTyped(client, ShowSlotParams{ref, std::nullopt});
  if (!shown) return std::unexpected(shown.error());
  const SlotObject& object = shown->slot;
  Slot slot;
  slot.ref = object.ref;
  slot.env = object.env;
  slot.name = object.name;
  slot.provider = object.provider;
  slot.endpoint = object.endpoint;
  slot.models = object.models;
  slot.version = object.current_version.value_or(0);
  const ProviderInfo* provider = Catalogue::Builtin().Find(object.provider);
  slot.env_var = provider ? provider->EnvVarFor(object.endpoint) : std::string();
  slot.base_url =
      GatewayEndpointUrl(*status->gateway_url, object.provider, object.endpoint, object.name);
  *usable = object.usable;
  return slot;
}

}  // namespace keywarden::cli::exporting
