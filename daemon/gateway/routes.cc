#include "gateway/routes.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <ctime>

#include "keywarden/protocol.h"

namespace keywarden::gateway {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A path segment that would climb out of the endpoint's base path once
// normalised: ".", "..", or either percent-encoded.
bool IsDotSegment(std::string_view segment) {
  std::string lower = Lower(segment);
  for (std::string_view dot : {".", "..", "%2e", "%2e%2e", ".%2e", "%2e."}) {
    if (lower == dot) return true;
  }
  return false;
}

std::string_view Segment(std::string_view& path) {
  const size_t slash = path.find('/');
  std::string_view segment = path.substr(0, slash);
  path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  return segment;
}

const Json& Member(const Json& object, const char* key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string JsonText(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

Result<Route> ParseRoute(const Catalogue& catalogue, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view query =
      target.size() > path.size() ? target.substr(path.size() + 1) : std::string_view();
  auto not_found = [&] {
    return Fail(ErrorCode::kNotFound,
                "keywarden: no such gateway route; use /p/<provider>/<endpoint>/<path>, e.g. "
                "/p/openrouter/default/chat/completions");
  };
  if (!path.starts_with("/p/")) return not_found();
  path.remove_prefix(3);
  std::string_view provider_id = Segment(path);
  if (path.empty()) return not_found();
  path.remove_prefix(1);
  std::string_view endpoint = Segment(path);
  const ProviderInfo* provider = catalogue.Find(provider_id);
  if (provider == nullptr || endpoint.empty()) return not_found();
  if (provider->custom_url) {
    if (!IsValidRefPart(endpoint)) return not_found();
  } else if (endpoint != "default" && !provider->endpoints.contains(std::string(endpoint))) {
    std::string names;
    for (const auto& [name, url] : provider->endpoints) names += (names.empty() ? "" : ", ") + name;
    return Fail(ErrorCode::kNotFound,
                fmt::format("keywarden: {} has no endpoint {}; its endpoints: {}", provider->id,
                            endpoint, names));
  }
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\') {
      return Fail(ErrorCode::kInvalidArgument,
                  "keywarden: the path holds a character a URL may not");
    }
  }
  for (char c : query) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '#') {
      return Fail(ErrorCode::kInvalidArgument,
                  "keywarden: the query holds a character a URL may not");
    }
  }
  std::string_view walk = path;
  while (!walk.empty()) {
    walk.remove_prefix(1);  // the '/'
    if (IsDotSegment(Segment(walk))) {
      return Fail(ErrorCode::kInvalidArgument, "keywarden: the path may not hold . or .. segments");
    }
  }
  Route route;
  route.provider = provider;
  route.endpoint = endpoint == "default" && !provider->custom_url ? provider->default_endpoint
                                                                  : std::string(endpoint);
  route.rest = std::string(path);
  route.query = RemoveKeyParam(query);
  return route;
}

std::optional<PresentedToken> FindToken(const Fields& fields, std::string_view query) {
  for (const char* name : {"authorization", "x-api-key", "x-goog-api-key", "api-key"}) {
    for (const auto& [key, value] : fields) {
      if (key != name) continue;
      std::string_view text = value;
      if (key == "authorization") {
        const std::string_view scheme = text.substr(0, 7);
        const bool bearer = std::equal(
            scheme.begin(), scheme.end(), std::string_view("bearer ").begin(),
            std::string_view("bearer ").end(),
            [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
        if (!bearer) continue;
        text.remove_prefix(7);
        while (text.starts_with(' ')) text.remove_prefix(1);
      }
      return PresentedToken{std::string(text), name};
    }
  }
  std::string_view rest = query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view param = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (param.starts_with("key=")) return PresentedToken{std::string(param.substr(4)), "query"};
  }
  return std::nullopt;
}

std::string RemoveKeyParam(std::string_view query) {
  std::string out;
  std::string_view rest = query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view param = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (param.empty() || param == "key" || param.starts_with("key=")) continue;
    if (!out.empty()) out += '&';
    out += param;
  }
  return out;
}

std::string UpstreamUrl(std::string_view base_url, std::string_view rest) {
  while (base_url.ends_with('/')) base_url.remove_suffix(1);
  const size_t slash = base_url.rfind('/');
  const size_t scheme = base_url.find("://");
  if (slash != std::string_view::npos && scheme != std::string_view::npos && slash > scheme + 2) {
    const std::string_view last = base_url.substr(slash);  // "/v1"
    if (rest.starts_with(last) && (rest.size() == last.size() || rest[last.size()] == '/')) {
      rest.remove_prefix(last.size());
    }
  }
  return std::string(base_url) + std::string(rest);
}

std::string RequestedModel(const ProviderInfo& provider, std::string_view rest,
                           std::string_view body) {
  if (provider.id == "gemini") {
    // /models/gemini-2.5-pro:generateContent (also under /tunedModels/).
    const size_t at = rest.find("/models/");
    if (at != std::string_view::npos) {
      std::string_view model = rest.substr(at + 8);
      model = model.substr(0, std::min(model.find(':'), model.find('/')));
      if (!model.empty()) return std::string(model);
    }
  }
  if (body.empty() || body.front() != '{') return "";
  // Only the top-level "model" is kept: a large body builds no tree.
  const Json parsed = Json::parse(
      body,
      [](int depth, Json::parse_event_t event, Json& parsed_value) {
        // A key of the top level other than "model": its value is skipped.
        if (depth == 1 && event == Json::parse_event_t::key) return parsed_value == "model";
        return true;
      },
      /*allow_exceptions=*/false);
  const Json& model = Member(parsed, "model");
  return model.is_string() ? model.get<std::string>() : "";
}

bool SameModel(const ProviderInfo& provider, std::string_view check_model,
               std::string_view requested) {
  if (check_model == requested) return true;
  const Json& known = Member(Member(provider.spec, "aliases"), "known");
  auto pinned = [&](std::string_view id) -> std::string {
    if (known.is_object()) {
      auto it = known.find(std::string(id));
      if (it != known.end() && it->is_string()) return it->get<std::string>();
    }
    return std::string(id);
  };
  return pinned(check_model) == pinned(requested);
}

bool IsLoopbackHost(std::string_view host) {
  std::string name;
  if (host.starts_with('[')) {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view after = host.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return false;
    name = std::string(host.substr(1, close - 1));
    in6_addr v6{};
    return inet_pton(AF_INET6, name.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
  }
  name = std::string(host.substr(0, host.find(':')));
  if (strcasecmp(name.c_str(), "localhost") == 0) return true;
  in_addr v4{};
  return inet_pton(AF_INET, name.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

bool ForwardRequestHeader(std::string_view name) {
  static constexpr std::array<std::string_view, 20> kDropped = {"connection",
                                                                "keep-alive",
                                                                "proxy-connection",
                                                                "proxy-authorization",
                                                                "te",
                                                                "trailer",
                                                                "transfer-encoding",
                                                                "upgrade",
                                                                "host",
                                                                "origin",
                                                                "referer",
                                                                "cookie",
                                                                "content-length",
                                                                "expect",
                                                                "authorization",
                                                                "x-api-key",
                                                                "x-goog-api-key",
                                                                "api-key",
                                                                "forwarded",
                                                                "x-forwarded-for"};
  return std::find(kDropped.begin(), kDropped.end(), name) == kDropped.end();
}

bool ForwardResponseHeader(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kDropped = {
      "connection", "keep-alive",        "proxy-connection", "te",        "trailer",
      "upgrade",    "transfer-encoding", "content-length",   "set-cookie"};
  return std::find(kDropped.begin(), kDropped.end(), name) == kDropped.end();
}

std::string ErrorBody(const ProviderInfo* provider, int status, std::string_view message) {
  const std::string id = provider != nullptr ? provider->id : "";
  if (id == "anthropic") {
    const char* type = status == 401   ? "authentication_error"
                       : status == 403 ? "permission_error"
                       : status == 404 ? "not_found_error"
                       : status == 413 ? "request_too_large"
                       : status == 429 ? "rate_limit_error"
                       : status >= 500 ? "api_error"
                                       : "invalid_request_error";
    return JsonText(Json{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}});
  }
  if (id == "gemini") {
    const char* state = status == 401   ? "UNAUTHENTICATED"
                        : status == 403 ? "PERMISSION_DENIED"
                        : status == 404 ? "NOT_FOUND"
                        : status == 429 ? "RESOURCE_EXHAUSTED"
                        : status == 503 ? "UNAVAILABLE"
                        : status >= 500 ? "INTERNAL"
                                        : "INVALID_ARGUMENT";
    return JsonText(Json{{"error", {{"code", status}, {"status", state}, {"message", message}}}});
  }
  const char* type = status == 401   ? "authentication_error"
                     : status == 403 ? "permission_error"
                     : status == 404 ? "not_found"
                     : status == 429 ? "rate_limit_error"
                     : status >= 500 ? "server_error"
                                     : "invalid_request_error";
  return JsonText(Json{{"error", {{"message", message}, {"type", type}, {"code", status}}}});
}

std::optional<int64_t> RetryAfterSeconds(const std::optional<std::string>& retry_after,
                                         const std::optional<std::string>& retry_after_ms,
                                         int64_t now) {
  if (retry_after) {
    const std::string& text = *retry_after;
    int64_t seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec == std::errc() && end == text.data() + text.size() && seconds >= 0) return seconds;
    std::tm tm{};
    const char* parsed = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
    if (parsed != nullptr) return std::max<int64_t>(0, timegm(&tm) - now);
  }
  if (retry_after_ms) {
    const std::string& text = *retry_after_ms;
    double ms = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec == std::errc() && ms >= 0) return static_cast<int64_t>((ms + 999) / 1000);
  }
  return std::nullopt;
}

}  // namespace keywarden::gateway
