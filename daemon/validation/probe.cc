// Probe requests of probe.h, built from the catalogue's "spec" data
// (schema/providers.json). Classify is in probe_classify.cc, the model list
// in probe_models.cc.
#include "validation/probe.h"

#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>
#include <vector>

#include "validation/probe_json.h"

namespace keywarden {
namespace {

using probe_json::Json;
using probe_json::Member;
using probe_json::StringMember;
using OrderedJson = nlohmann::ordered_json;

// The spec entry `field` for the target's endpoint: a per_endpoint entry
// (null included, meaning "this endpoint has none") wins over the provider's.
const Json& SpecField(const ProbeTarget& target, const std::string& field) {
  const Json& spec = target.provider->spec;
  const Json& override_entry = Member(Member(spec, "per_endpoint"), target.endpoint);
  if (override_entry.is_object() && override_entry.contains(field)) return override_entry[field];
  return Member(spec, field);
}

// Percent-encodes everything but RFC 3986 unreserved characters, so a model
// id can never add a path segment or a query to the URL.
std::string PathEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string ExpandPath(std::string path, std::string_view model) {
  const std::string placeholder = "{model}";
  if (auto at = path.find(placeholder); at != std::string::npos) {
    path.replace(at, placeholder.size(), PathEncode(model));
  }
  return path;
}

// Model ids come from users; invalid UTF-8 is replaced rather than thrown on.
template <class J>
std::string Dump(const J& body) {
  return body.dump(-1, ' ', false, J::error_handler_t::replace);
}

// "Authorization: Bearer <key>" and the like, assembled in secure memory so
// the key never passes through a std::string.
SecretBuffer SecretHeader(const Json& auth, std::string_view key) {
  std::string kind = StringMember(auth, "header", "authorization-bearer");
  std::string_view prefix = "Authorization: Bearer ";
  if (kind == "x-api-key") prefix = "x-api-key: ";
  if (kind == "x-goog-api-key") prefix = "x-goog-api-key: ";
  SecretBuffer header(prefix.size() + key.size());
  std::memcpy(header.data(), prefix.data(), prefix.size());
  if (!key.empty()) std::memcpy(header.data() + prefix.size(), key.data(), key.size());
  return header;
}

// A request for one spec probe object ({method, path, body?}) on `target`.
HttpRequest NewRequest(const ProbeTarget& target, const Json& probe, std::string_view key,
                       std::string_view model = {}) {
  const Json& auth = Member(target.provider->spec, "auth");
  HttpRequest request;
  request.method = StringMember(probe, "method", "GET");
  request.url = target.base_url + ExpandPath(StringMember(probe, "path", "/"), model);
  const Json& extra = Member(auth, "extra_headers");
  if (extra.is_object()) {
    for (const auto& [name, value] : extra.items()) {
      if (value.is_string()) request.headers.push_back(name + ": " + value.get<std::string>());
    }
  }
  request.secret_header = SecretHeader(auth, key);
  if (const Json& body = Member(probe, "body"); body.is_object()) request.body = Dump(body);
  return request;
}

bool IsReasoningModel(const Json& probe, std::string_view model) {
  std::string pattern = StringMember(probe, "reasoning_models");
  if (pattern.empty()) return false;
  // The pattern was compiled once already by the catalogue's shape check.
  return std::regex_search(model.begin(), model.end(), std::regex(pattern));
}

// The smallest body each probe kind accepts (docs/providers.md): one token
// out, nothing a strict provider would reject as unknown.
std::string ModelProbeBody(const Json& probe, std::string_view model) {
  const std::string kind = StringMember(probe, "kind", "openai_chat");
  const OrderedJson ping = OrderedJson::array({{{"role", "user"}, {"content", "ping"}}});
  OrderedJson body;
  if (kind == "gemini_generate") {
    body["contents"] = OrderedJson::array({{{"parts", OrderedJson::array({{{"text", "ping"}}})}}});
    body["generationConfig"] = {{"maxOutputTokens", 1}};
    return Dump(body);
  }
  body["model"] = std::string(model);
  if (kind == "mistral_fim") {
    body["prompt"] = "def f():";
    body["max_tokens"] = 1;
  } else if (kind == "anthropic_messages") {
    body["max_tokens"] = 1;
    body["messages"] = ping;
  } else {
    // openai_chat, openai_chat_reasoning, mistral_chat: Mistral answers 422
    // to any field it does not know, and OpenAI's reasoning models answer
    // 400 to max_tokens.
    body["messages"] = ping;
    bool reasoning = kind == "openai_chat_reasoning" && IsReasoningModel(probe, model);
    body[reasoning ? "max_completion_tokens" : "max_tokens"] = 1;
  }
  return Dump(body);
}

// The name of the catalogue or config endpoint whose base URL is `url`, so
// that a slot given https://codestral.mistral.ai/v1 probes like "codestral".
std::string EndpointNameOf(const Catalogue& catalogue, const Config& config,
                           const ProviderInfo& provider, std::string_view url) {
  std::vector<std::string> names;
  for (const auto& [name, base] : provider.endpoints) names.push_back(name);
  if (auto it = config.providers.find(provider.id); it != config.providers.end()) {
    for (const auto& [name, base] : it->second.endpoints) names.push_back(name);
  }
  for (const std::string& name : names) {
    auto base = catalogue.BaseUrl(provider, name, config);
    if (base && *base == url)
      return name == "default" && !provider.default_endpoint.empty() ? provider.default_endpoint
                                                                     : name;
  }
  return "custom";
}

}  // namespace

Result<ProbeTarget> ResolveTarget(const Catalogue& catalogue, const Config& config,
                                  const ProviderInfo& provider, std::string_view endpoint) {
  auto base = catalogue.BaseUrl(provider, endpoint, config);
  if (!base) return std::unexpected(base.error());
  ProbeTarget target{&provider, std::string(endpoint), *base};
  if (endpoint.find("://") != std::string_view::npos) {
    target.endpoint = EndpointNameOf(catalogue, config, provider, *base);
  } else if (endpoint.empty() || endpoint == "default") {
    target.endpoint = provider.default_endpoint.empty() ? "default" : provider.default_endpoint;
  }
  return target;
}

std::optional<HttpRequest> BuildAuthProbe(const ProbeTarget& target, std::string_view key) {
  const Json& probe = SpecField(target, "auth_probe");
  if (!probe.is_object()) return std::nullopt;
  return NewRequest(target, probe, key);
}

HttpRequest BuildModelProbe(const ProbeTarget& target, std::string_view model,
                            std::string_view key) {
  const Json& probe = SpecField(target, "model_probe");
  HttpRequest request = NewRequest(target, probe, key, model);
  request.body = ModelProbeBody(probe, model);
  return request;
}

std::optional<HttpRequest> BuildListProbe(const ProbeTarget& target, std::string_view key) {
  const Json& probe = SpecField(target, "list_probe");
  if (!probe.is_object()) return std::nullopt;
  return NewRequest(target, probe, key);
}

std::optional<HttpRequest> BuildCatalogueProbe(const ProbeTarget& target, std::string_view key) {
  const Json& probe = SpecField(target, "list_probe");
  if (!probe.is_object() || !probe.contains("catalogue_path")) return std::nullopt;
  Json catalogue = probe;
  catalogue["path"] = probe["catalogue_path"];
  return NewRequest(target, catalogue, key);
}

std::optional<OtherHostProbe> BuildOtherHostProbe(const Catalogue& catalogue, const Config& config,
                                                  const ProbeTarget& target, std::string_view key) {
  // A custom URL may be a proxy in front of either host: no guess.
  if (target.endpoint == "custom") return std::nullopt;
  const Json& other = SpecField(target, "other_host");
  std::string endpoint = StringMember(other, "endpoint");
  if (endpoint.empty() || endpoint == target.endpoint) return std::nullopt;
  auto base = catalogue.BaseUrl(*target.provider, endpoint, config);
  if (!base) return std::nullopt;
  ProbeTarget there{target.provider, endpoint, *base};
  return OtherHostProbe{NewRequest(there, Member(other, "probe"), key), endpoint,
                        StringMember(other, "diagnosis")};
}

}  // namespace keywarden
