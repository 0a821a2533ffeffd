// Shape checks for the "spec" object of a providers.json entry, so that a
// typo in the catalogue fails the unit tests instead of a probe at run time.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "keywarden/providers.h"
#include "keywarden/status.h"

namespace keywarden {

// Checks `spec` (found at `path`) against the schema of docs/providers.md:
// known fields only, auth header and probe kinds from the fixed sets, paths
// starting with '/', status rules with valid outcomes, and per_endpoint keys
// naming endpoints of `provider`.
Status CheckProviderSpec(const nlohmann::json& spec, std::string_view path,
                         const ProviderInfo& provider);

}  // namespace keywarden
