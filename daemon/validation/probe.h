// The probe ladder's requests and verdicts, per provider, driven by the
// catalogue's data (schema/providers.json "spec", docs/providers.md) plus a
// few probe kinds in code. Pure functions: no I/O, unit-tested over
// recorded response bodies.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "http/http_client.h"
#include "keywarden/config.h"
#include "keywarden/providers.h"
#include "keywarden/slot.h"

namespace keywarden {

enum class ProbeStage {
  kAuth,       // the free "is this key valid" call
  kModel,      // one billed minimal request for one model
  kList,       // the free model list (--probe list, aliases)
  kOtherHost,  // Mistral: the same key on the other host, after a 401
};

// Where probes go: the slot's provider, its endpoint name ("default",
// "general", "codestral", or "custom" for a URL) and the resolved base URL.
struct ProbeTarget {
  const ProviderInfo* provider = nullptr;
  std::string endpoint;
  std::string base_url;
};

// Builds the target for a slot's provider and endpoint setting (a name or a
// URL), applying config overrides.
Result<ProbeTarget> ResolveTarget(const Catalogue& catalogue, const Config& config,
                                  const ProviderInfo& provider, std::string_view endpoint);

// The auth probe; nullopt where the endpoint has none (Codestral).
std::optional<HttpRequest> BuildAuthProbe(const ProbeTarget& target, std::string_view key);
// The cheapest request proving the key may use `model`, with provider-
// correct parameters (max_tokens 1, or max_completion_tokens for OpenAI
// reasoning models; no unknown fields for Mistral; FIM on Codestral;
// generateContent for Gemini; messages + anthropic-version for Anthropic).
HttpRequest BuildModelProbe(const ProbeTarget& target, std::string_view model,
                            std::string_view key);
// The free model list; nullopt where the endpoint has none.
std::optional<HttpRequest> BuildListProbe(const ProbeTarget& target, std::string_view key);
// Where the key's list leaves out what the key may not use (OpenRouter's
// /models/user), the provider's whole list, which tells a denied model from
// an unknown one; nullopt where the list probe names no catalogue_path.
std::optional<HttpRequest> BuildCatalogueProbe(const ProbeTarget& target, std::string_view key);

// For a 401 on one Mistral host: the probe of the other host and the
// diagnosis code to give when it succeeds.
struct OtherHostProbe {
  HttpRequest request;
  std::string endpoint;   // "codestral" or "general"
  std::string diagnosis;  // codestral_key_on_general_endpoint, …
};
std::optional<OtherHostProbe> BuildOtherHostProbe(const Catalogue& catalogue, const Config& config,
                                                  const ProbeTarget& target, std::string_view key);

struct Verdict {
  Outcome outcome = Outcome::kUnavailable;
  std::string detail;     // the provider's own error message, short; "" on success
  std::string diagnosis;  // a diagnosis code from the status rules, "" if none
  // How long the provider asked us to wait: Retry-After (seconds or date),
  // retry-after-ms, or Gemini's RetryInfo.retryDelay in the body.
  std::optional<std::chrono::milliseconds> retry_after;
};

// Classifies one response. A transport failure or timeout is unavailable;
// 5xx and 529 are unavailable; an error object inside a 200 is not ok.
Verdict Classify(const ProviderInfo& provider, ProbeStage stage, const HttpResponse& response);

// What a model list response says: the ids it lists, and for each alias the
// pinned id it points to (Mistral's aliases[], Anthropic's model get, the
// catalogue's known table as a fallback).
struct ModelList {
  std::set<std::string> ids;
  std::map<std::string, std::string> aliases;  // alias -> pinned id
};
std::optional<ModelList> ParseModelList(const ProviderInfo& provider, const HttpResponse& response);
// The pinned id an alias points to per the catalogue's known table.
std::optional<std::string> KnownAlias(const ProviderInfo& provider, std::string_view model);

}  // namespace keywarden
