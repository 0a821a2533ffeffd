// Fetching a usable slot's secret for `export` and `exec`.
#pragma once

#include <string>
#include <string_view>

#include "export/target.h"
#include "keywarden/client.h"

namespace keywarden::cli::exporting {

// Calls slot.get for `ref`. A slot that is not usable gives kNotUsable with
// the daemon's reason (exit 3); the secret moves straight into the Slot's
// SecretBuffer.
// `purpose` ("export" or "exec") names the daemon's audit event.
Result<Slot> FetchSlot(Client& client, const std::string& ref, const std::string& purpose);

// The gateway base URL of a slot's provider and endpoint:
// `<gateway_url>/p/<provider>/<endpoint>`, where an openai-compatible
// slot's endpoint (its own URL) is named by the slot's name.
std::string GatewayEndpointUrl(std::string_view gateway_url, std::string_view provider,
                               std::string_view endpoint, std::string_view slot_name);

// What `export --via gateway` needs of a slot: slot.show's facts, the
// gateway base URL of its endpoint as `base_url`, and no secret (the
// caller puts the token there). kUnavailable with a hint when the daemon
// runs no gateway (exit 3 is the caller's). `*usable` gets whether the
// slot can be served now.
Result<Slot> FetchGatewaySlot(Client& client, const std::string& ref, bool* usable);

}  // namespace keywarden::cli::exporting
