// The gateway's request rules that need no socket (docs/gateway.md):
// routes, where a token may come, the requested model, which headers pass,
// the Host check and the error bodies in each provider's own shape. Pure
// functions, tested directly (tests/unit/gateway_routes_test.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keywarden/providers.h"
#include "keywarden/status.h"

namespace keywarden::gateway {

// A request's header fields, names lower-cased, in the order received.
using Fields = std::vector<std::pair<std::string, std::string>>;

// /p/<provider>/<endpoint>/<rest>?<query>
struct Route {
  const ProviderInfo* provider = nullptr;
  // A named endpoint of the provider ("default" names its default one);
  // for openai-compatible, the name of a slot of the token's env.
  std::string endpoint;
  std::string rest;   // "/chat/completions"; "" for the endpoint's base itself
  std::string query;  // without '?', the token's key=… removed
};

// kNotFound for a path that is not /p/<provider>/<endpoint>/… of a known
// provider and endpoint, kInvalidArgument for a rest with dot segments or
// bytes a URL must not carry. The message is ready for the client.
Result<Route> ParseRoute(const Catalogue& catalogue, std::string_view target);

// Where a token was found, and its text. The token is the first of
// `Authorization: Bearer`, `x-api-key`, `x-goog-api-key`, `api-key` and
// the query's `key=`, in that order, that is present.
struct PresentedToken {
  std::string text;
  std::string where;  // "authorization", "x-api-key", "x-goog-api-key", "api-key", "query"
};
std::optional<PresentedToken> FindToken(const Fields& fields, std::string_view query);
// `query` without its key=… parameters.
std::string RemoveKeyParam(std::string_view query);

// The upstream URL of `rest` on the endpoint `base_url`. Tools that add
// their API's version path to the base URL they are given (Claude Code's
// /v1/messages, Gemini CLI's /v1beta/models/…, Roo) send a rest that starts
// with the segment the base URL ends in; it is not repeated:
// ("https://api.anthropic.com/v1", "/v1/messages") ->
// "https://api.anthropic.com/v1/messages".
std::string UpstreamUrl(std::string_view base_url, std::string_view rest);

// The model a request names: Gemini's `/models/{m}:…` path segment, else
// the body's top-level "model" string; "" if none (a model list, say).
std::string RequestedModel(const ProviderInfo& provider, std::string_view rest,
                           std::string_view body);
// True when `check_model` (a model a slot checks) stands for `requested`:
// the same id, or one is the other's alias in the catalogue's known table.
bool SameModel(const ProviderInfo& provider, std::string_view check_model,
               std::string_view requested);

// True for a Host header naming a loopback name or address, with or
// without a port: localhost, 127.x.y.z, [::1].
bool IsLoopbackHost(std::string_view host);

// Whether a client's request header goes upstream: not hop-by-hop, not
// Host, Origin, Referer, Cookie, Content-Length or Expect, and none that
// may carry a key or token.
bool ForwardRequestHeader(std::string_view lower_name);
// Whether an upstream response header goes back to the client: not
// hop-by-hop, not Content-Length or Transfer-Encoding (the gateway frames
// the body itself).
bool ForwardResponseHeader(std::string_view lower_name);

// An error body in `provider`'s own shape (OpenAI-style for most,
// Anthropic's, Gemini's), with `message`; the content type is JSON.
std::string ErrorBody(const ProviderInfo* provider, int status, std::string_view message);

// Seconds a 429 says to wait: Retry-After as seconds or an HTTP date
// (relative to `now`), or retry-after-ms; nullopt if none is readable.
std::optional<int64_t> RetryAfterSeconds(const std::optional<std::string>& retry_after,
                                         const std::optional<std::string>& retry_after_ms,
                                         int64_t now);

}  // namespace keywarden::gateway
