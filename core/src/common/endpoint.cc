// CheckEndpointUrl and Catalogue::BaseUrl of keywarden/providers.h.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "keywarden/providers.h"

namespace keywarden {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsLoopback(std::string_view host) {
  if (Lower(host) == "localhost") return true;
  std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    in6_addr v6{};
    text = std::string(host.substr(1, host.size() - 2));
    return inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

std::string WithoutTrailingSlash(std::string_view url) {
  while (url.size() > 1 && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

std::string Names(const std::map<std::string, std::string>& endpoints) {
  std::string names;
  for (const auto& [name, unused] : endpoints) names += (names.empty() ? "" : ", ") + name;
  return names;
}

}  // namespace

// The URL itself is never quoted in a message: a pasted URL may carry a key.
Status CheckEndpointUrl(std::string_view url) {
  auto bad = [](std::string problem, std::string hint = {}) {
    return Fail(ErrorCode::kInvalidArgument, "endpoint URL " + problem, std::move(hint));
  };
  std::string lower = Lower(url.substr(0, 8));
  bool https = lower.starts_with("https://");
  if (!https && !lower.starts_with("http://")) {
    return bad("must start with https:// (or http:// to a loopback address)");
  }
  if (std::any_of(url.begin(), url.end(), [](char c) { return c <= ' ' || c >= 0x7f; })) {
    return bad("contains a space, control or non-ASCII character");
  }
  if (url.find_first_of("?#") != std::string_view::npos) {
    return bad("must not have a query or fragment; paths are appended to it");
  }
  std::string_view rest = url.substr(https ? 8 : 7);
  std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string_view::npos) {
    return bad("must not contain user credentials");
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("has an unterminated [IPv6] host");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return bad("has junk after the [IPv6] host");
    if (!after.empty()) port = after.substr(1);
  } else if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return bad("has an empty port");
  }
  if (host.empty()) return bad("has no host");
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return bad("has an invalid port");
    }
  }
  if (!https && !IsLoopback(host)) {
    return bad("uses plain http:// to " + std::string(host) +
                   "; http:// is allowed only to loopback (127.0.0.0/8, ::1, localhost)",
               "use https://");
  }
  return {};
}

Result<std::string> Catalogue::BaseUrl(const ProviderInfo& provider, std::string_view endpoint,
                                       const Config& config) const {
  if (endpoint.find("://") != std::string_view::npos) {
    if (auto ok = CheckEndpointUrl(endpoint); !ok) return std::unexpected(ok.error());
    return WithoutTrailingSlash(endpoint);
  }
  std::string name(endpoint);
  if (name.empty() || name == "default")
    name = provider.custom_url ? "default" : provider.default_endpoint;
  if (auto it = config.providers.find(provider.id); it != config.providers.end()) {
    const auto& overrides = it->second.endpoints;
    auto found = overrides.find(name);
    // An override named "default" applies to the provider's default endpoint.
    if (found == overrides.end() && name == provider.default_endpoint) {
      found = overrides.find("default");
    }
    if (found != overrides.end()) {
      if (auto ok = CheckEndpointUrl(found->second); !ok) {
        Error error = ok.error();
        error.message =
            "config providers." + provider.id + ".endpoints." + found->first + ": " + error.message;
        return std::unexpected(std::move(error));
      }
      return WithoutTrailingSlash(found->second);
    }
  }
  if (auto it = provider.endpoints.find(name); it != provider.endpoints.end()) {
    return WithoutTrailingSlash(it->second);
  }
  if (provider.custom_url) {
    if (name == "default") {
      return Fail(ErrorCode::kInvalidArgument, provider.id + " needs an endpoint URL",
                  "pass --endpoint https://HOST/v1, or name one in config.json under providers." +
                      provider.id + ".endpoints");
    }
    return Fail(ErrorCode::kInvalidArgument,
                provider.id + " has no endpoint named \"" + name + "\" in config.json",
                "pass a URL, or add it under providers." + provider.id + ".endpoints");
  }
  return Fail(ErrorCode::kInvalidArgument, provider.id + " has no endpoint named \"" + name + "\"",
              "endpoints of " + provider.id + ": " + Names(provider.endpoints) + ", or a URL");
}

}  // namespace keywarden
