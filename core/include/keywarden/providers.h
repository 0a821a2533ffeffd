// The provider catalogue: schema/providers.json embedded in the binary.
// Provider differences are data here plus a few probe kinds in code.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "keywarden/config.h"
#include "keywarden/status.h"

namespace keywarden {

struct ProviderInfo {
  std::string id;            // "openrouter"
  std::string display_name;  // "OpenRouter"
  std::string env_var;       // "OPENROUTER_API_KEY"
  std::string key_pattern;   // ECMAScript regex of a well-formed key; "" if none
  std::string key_example;   // a short description of the shape, for hints
  std::map<std::string, std::string> endpoints;  // name -> default base URL
  std::string default_endpoint;                  // "general", "default", ...
  // Where the user deletes a key at the provider (revoke names it); "" if
  // none (openai-compatible: the provider's own console).
  std::string console_url;
  bool custom_url = false;          // openai-compatible: the slot names its URL
  int64_t activation_window = 120;  // seconds
  nlohmann::json spec;  // the entry's "spec": auth, probes, status rules (docs/providers.md)

  // The variable tools read a key for `endpoint` from: the endpoint's own
  // where it has one (Mistral's codestral: CODESTRAL_API_KEY), else
  // env_var.
  std::string EnvVarFor(std::string_view endpoint) const;
};

class Catalogue {
 public:
  // The catalogue built into this binary. Aborts if the embedded JSON is
  // malformed (a build defect caught by the unit tests).
  static const Catalogue& Builtin();
  static Result<Catalogue> Parse(std::string_view json_text);

  const ProviderInfo* Find(std::string_view id) const;
  const std::vector<ProviderInfo>& All() const { return providers_; }

  // Resolves a slot's endpoint ("default", a named endpoint or a URL) to a
  // base URL, applying config overrides. Rejects unknown names and plain
  // http:// to anything but loopback.
  Result<std::string> BaseUrl(const ProviderInfo& provider, std::string_view endpoint,
                              const Config& config) const;
  // Providers whose key pattern matches `key`.
  std::vector<const ProviderInfo*> MatchingPattern(std::string_view key) const;

 private:
  std::vector<ProviderInfo> providers_;
  std::vector<std::optional<std::regex>> patterns_;  // compiled key_pattern, parallel to providers_
};

// Checks that `url` is https://, or http:// to a loopback host.
Status CheckEndpointUrl(std::string_view url);

}  // namespace keywarden
