// Private to probe_classify.cc: reading a provider's error message and its
// retry hints out of a response.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "http/http_client.h"
#include "keywarden/providers.h"

namespace keywarden::probe_detail {

inline constexpr size_t kMaxDetail = 200;

// The provider's own error message from the common body shapes:
// {"error":{"message"}} (Gemini: prefixed with its ErrorInfo reason or
// status), {"error":"…"}, {"message"}, {"detail":"…"} or FastAPI's
// {"detail":[{loc,msg}]}, an HTML page's <title>, or short plain text.
// Control characters become spaces; any run shaped like a key of `provider`
// or of a built-in provider becomes "[redacted]" (providers echo keys
// masked, e.g. "sk-or-v1*****94f6", which is kept); at most `max` bytes,
// cut on a UTF-8 boundary with "…". "" when the body says nothing.
std::string ErrorMessage(const ProviderInfo& provider, const nlohmann::json& body,
                         std::string_view raw, size_t max = kMaxDetail);

// How long the provider asked us to wait, first found: retry-after-ms,
// retry-after (seconds or an HTTP date), Gemini's RetryInfo.retryDelay in
// the body ("12.5s"), OpenRouter's x-ratelimit-reset (epoch milliseconds).
// A date in the past gives 0. `now` is the current time for dates.
std::optional<std::chrono::milliseconds> RetryHint(const HttpResponse& response,
                                                   const nlohmann::json& body,
                                                   std::chrono::system_clock::time_point now);

// True when the response carries "x-should-retry: false" (OpenAI and
// Anthropic's override of the usual retry rules).
bool ShouldNotRetry(const HttpResponse& response);

}  // namespace keywarden::probe_detail
