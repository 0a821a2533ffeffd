// Fetching a usable slot's secret for `export` and `exec`.
#pragma once

#include <string>

#include "export/target.h"
#include "keywarden/client.h"

namespace keywarden::cli::exporting {

// Calls slot.get for `ref`. A slot that is not usable gives kNotUsable with
// the daemon's reason (exit 3); the secret moves straight into the Slot's
// SecretBuffer.
// `purpose` ("export" or "exec") names the daemon's audit event.
Result<Slot> FetchSlot(Client& client, const std::string& ref, const std::string& purpose);

}  // namespace keywarden::cli::exporting
