// The Catalogue of keywarden/providers.h: parsing providers.json and key
// pattern matching. Endpoint resolution lives in endpoint.cc.
#include "keywarden/providers.h"

#include <cstdio>
#include <cstdlib>
#include <set>

#include "common/embedded.h"
#include "common/json_read.h"
#include "common/provider_spec.h"

namespace keywarden {
namespace {

using json_read::Join;
using json_read::Json;

bool IsEnvVarName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Result<std::optional<std::regex>> CompilePattern(const std::string& pattern,
                                                 std::string_view path) {
  if (pattern.empty()) return std::optional<std::regex>();
  // std::regex reports a bad pattern only by throwing; it stops here.
  try {
    return std::optional<std::regex>(std::regex(pattern, std::regex::ECMAScript));
  } catch (const std::regex_error& e) {
    return json_read::Invalid(path, std::string("bad regex: ") + e.what());
  }
}

Result<ProviderInfo> ParseEntry(const Json& entry, std::string_view path) {
  if (auto ok = json_read::CheckObject(
          entry, path,
          {"id", "display_name", "env_var", "key_pattern", "key_example", "endpoints",
           "default_endpoint", "console_url", "custom_url", "activation_window", "spec"});
      !ok) {
    return std::unexpected(ok.error());
  }
  auto field = [&](std::string_view key) -> const Json& {
    static const Json kMissing;
    auto it = entry.find(key);
    return it == entry.end() ? kMissing : *it;
  };
  ProviderInfo info;
  for (auto [key, out] : {std::pair{"id", &info.id},
                          {"display_name", &info.display_name},
                          {"env_var", &info.env_var},
                          {"key_example", &info.key_example},
                          {"default_endpoint", &info.default_endpoint}}) {
    auto text = json_read::String(field(key), Join(path, key));
    if (!text) return std::unexpected(text.error());
    *out = std::move(*text);
  }
  if (!IsValidRefPart(info.id)) return json_read::Invalid(Join(path, "id"), "not a valid id");
  if (info.display_name.empty()) return json_read::Invalid(Join(path, "display_name"), "is empty");
  if (!IsEnvVarName(info.env_var)) {
    return json_read::Invalid(Join(path, "env_var"), "not an environment variable name");
  }
  // From here on, errors name the provider rather than its array index.
  std::string at = "providers." + info.id;
  if (!field("key_pattern").is_null()) {
    auto pattern = json_read::String(field("key_pattern"), Join(at, "key_pattern"));
    if (!pattern) return std::unexpected(pattern.error());
    info.key_pattern = std::move(*pattern);
  }
  auto endpoints = json_read::StringMap(field("endpoints"), Join(at, "endpoints"));
  if (!endpoints) return std::unexpected(endpoints.error());
  info.endpoints = std::move(*endpoints);
  for (const auto& [name, url] : info.endpoints) {
    if (!IsValidRefPart(name)) return json_read::Invalid(Join(at, "endpoints"), "bad name " + name);
    if (auto ok = CheckEndpointUrl(url); !ok) {
      return json_read::Invalid(Join(Join(at, "endpoints"), name), ok.error().message);
    }
  }
  if (!field("console_url").is_null()) {
    auto console = json_read::String(field("console_url"), Join(at, "console_url"));
    if (!console) return std::unexpected(console.error());
    if (!console->starts_with("https://")) {
      return json_read::Invalid(Join(at, "console_url"), "not an https:// URL");
    }
    info.console_url = std::move(*console);
  }
  if (!field("custom_url").is_null()) {
    auto custom = json_read::Bool(field("custom_url"), Join(at, "custom_url"));
    if (!custom) return std::unexpected(custom.error());
    info.custom_url = *custom;
  }
  if (!info.custom_url && !info.endpoints.contains(info.default_endpoint)) {
    return json_read::Invalid(Join(at, "default_endpoint"), "not one of endpoints");
  }
  auto window =
      json_read::Integer(field("activation_window"), Join(at, "activation_window"), 1, 86400);
  if (!window) return std::unexpected(window.error());
  info.activation_window = *window;
  if (auto ok = CheckProviderSpec(field("spec"), Join(at, "spec"), info); !ok) {
    return std::unexpected(ok.error());
  }
  info.spec = field("spec");
  return info;
}

}  // namespace

Result<Catalogue> Catalogue::Parse(std::string_view json_text) {
  auto prefixed = [](Error error) {
    error.message = "providers.json: " + error.message;
    return std::unexpected(std::move(error));
  };
  auto doc = json_read::Parse(json_text);
  if (!doc) return prefixed(doc.error());
  if (auto ok = json_read::CheckObject(*doc, "", {"version", "providers"}); !ok) {
    return prefixed(ok.error());
  }
  auto version = json_read::Integer(doc->value("version", Json()), "version", 1, 1);
  if (!version) return prefixed(version.error());
  const Json providers = doc->value("providers", Json());
  if (!providers.is_array() || providers.empty()) {
    return prefixed(json_read::WrongType("providers", "a non-empty array", providers).error());
  }
  Catalogue catalogue;
  std::set<std::string> ids;
  for (size_t i = 0; i < providers.size(); ++i) {
    auto info = ParseEntry(providers[i], "providers[" + std::to_string(i) + "]");
    if (!info) return prefixed(info.error());
    if (!ids.insert(info->id).second) {
      return prefixed(
          Error{ErrorCode::kInvalidArgument, "providers." + info->id + ": duplicate id"});
    }
    auto compiled = CompilePattern(info->key_pattern, "providers." + info->id + ".key_pattern");
    if (!compiled) return prefixed(compiled.error());
    catalogue.patterns_.push_back(std::move(*compiled));
    catalogue.providers_.push_back(std::move(*info));
  }
  return catalogue;
}

const Catalogue& Catalogue::Builtin() {
  static const Catalogue builtin = [] {
    auto parsed = Parse(embedded::ProvidersJson());
    if (!parsed) {
      std::fprintf(stderr, "keywarden: built-in %s\n", parsed.error().message.c_str());
      std::abort();
    }
    return std::move(*parsed);
  }();
  return builtin;
}

const ProviderInfo* Catalogue::Find(std::string_view id) const {
  for (const ProviderInfo& p : providers_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::vector<const ProviderInfo*> Catalogue::MatchingPattern(std::string_view key) const {
  std::vector<const ProviderInfo*> matches;
  for (size_t i = 0; i < providers_.size(); ++i) {
    const std::optional<std::regex>& pattern = patterns_[i];
    if (pattern && std::regex_search(key.begin(), key.end(), *pattern)) {
      matches.push_back(&providers_[i]);
    }
  }
  return matches;
}

std::string ProviderInfo::EnvVarFor(std::string_view endpoint) const {
  auto per_endpoint = spec.find("per_endpoint");
  if (per_endpoint == spec.end() || !per_endpoint->is_object()) return env_var;
  auto entry = per_endpoint->find(std::string(endpoint));
  if (entry == per_endpoint->end() || !entry->is_object()) return env_var;
  auto own = entry->find("env_var");
  return own != entry->end() && own->is_string() ? own->get<std::string>() : env_var;
}

}  // namespace keywarden
