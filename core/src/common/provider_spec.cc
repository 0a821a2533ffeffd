#include "common/provider_spec.h"

#include <algorithm>
#include <array>
#include <regex>

#include "common/json_read.h"
#include "keywarden/slot.h"

namespace keywarden {
namespace {

using json_read::Join;
using json_read::Json;

constexpr std::array<std::string_view, 3> kAuthHeaders = {"authorization-bearer", "x-api-key",
                                                          "x-goog-api-key"};
constexpr std::array<std::string_view, 6> kModelProbeKinds = {
    "openai_chat", "openai_chat_reasoning", "mistral_chat",
    "mistral_fim", "gemini_generate",       "anthropic_messages"};
constexpr std::array<std::string_view, 3> kAliasSources = {"none", "list_field", "model_get"};

template <size_t N>
Status OneOf(const Json& object, std::string_view path, std::string_view key,
             const std::array<std::string_view, N>& allowed) {
  auto it = object.find(key);
  if (it == object.end()) return json_read::Invalid(Join(path, key), "missing");
  auto text = json_read::String(*it, Join(path, key));
  if (!text) return std::unexpected(text.error());
  if (std::find(allowed.begin(), allowed.end(), *text) == allowed.end()) {
    return json_read::Invalid(Join(path, key), "unknown value \"" + *text + "\"");
  }
  return {};
}

Status CheckPath(const Json& object, std::string_view path, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end()) return json_read::Invalid(Join(path, key), "missing");
  auto text = json_read::String(*it, Join(path, key));
  if (!text) return std::unexpected(text.error());
  if (text->empty() || text->front() != '/') {
    return json_read::Invalid(Join(path, key), "must start with '/'");
  }
  return {};
}

Status CheckRequest(const Json& probe, std::string_view path) {
  static constexpr std::array<std::string_view, 2> kMethods = {"GET", "POST"};
  if (auto ok = OneOf(probe, path, "method", kMethods); !ok) return ok;
  if (auto ok = CheckPath(probe, path, "path"); !ok) return ok;
  if (probe.contains("body") && !probe["body"].is_object()) {
    return json_read::WrongType(Join(path, "body"), "an object", probe["body"]);
  }
  return {};
}

// auth_probe and list_probe may be null: that endpoint has no such call.
Status CheckAuthProbe(const Json& probe, std::string_view path) {
  if (probe.is_null()) return {};
  if (auto ok = json_read::CheckObject(probe, path, {"method", "path", "body", "note"}); !ok) {
    return ok;
  }
  return CheckRequest(probe, path);
}

Status CheckListProbe(const Json& probe, std::string_view path) {
  if (probe.is_null()) return {};
  if (auto ok = json_read::CheckObject(
          probe, path,
          {"method", "path", "items", "id_field", "id_prefix", "catalogue_path", "note"});
      !ok) {
    return ok;
  }
  if (probe.contains("catalogue_path")) {
    if (auto ok = CheckPath(probe, path, "catalogue_path"); !ok) return ok;
  }
  for (std::string_view key : {"items", "id_field"}) {
    if (!probe.contains(key)) return json_read::Invalid(Join(path, key), "missing");
  }
  return CheckRequest(probe, path);
}

Status CheckModelProbe(const Json& probe, std::string_view path) {
  if (auto ok = json_read::CheckObject(probe, path,
                                       {"kind", "method", "path", "reasoning_models", "note"});
      !ok) {
    return ok;
  }
  if (auto ok = OneOf(probe, path, "kind", kModelProbeKinds); !ok) return ok;
  if (probe["kind"] == "openai_chat_reasoning") {
    auto pattern =
        json_read::String(probe.value("reasoning_models", Json()), Join(path, "reasoning_models"));
    if (!pattern) return std::unexpected(pattern.error());
    // std::regex reports a bad pattern only by throwing; keep it inside this check.
    try {
      [[maybe_unused]] const std::regex compiled(*pattern);
    } catch (const std::regex_error& e) {
      return json_read::Invalid(Join(path, "reasoning_models"),
                                std::string("bad regex: ") + e.what());
    }
  }
  return CheckRequest(probe, path);
}

Status CheckOtherHost(const Json& other, std::string_view path, const ProviderInfo& provider) {
  if (auto ok = json_read::CheckObject(other, path, {"endpoint", "probe", "diagnosis"}); !ok) {
    return ok;
  }
  auto endpoint = json_read::String(other.value("endpoint", Json()), Join(path, "endpoint"));
  if (!endpoint) return std::unexpected(endpoint.error());
  if (!provider.endpoints.contains(*endpoint)) {
    return json_read::Invalid(Join(path, "endpoint"), "not an endpoint of " + provider.id);
  }
  auto diagnosis = json_read::String(other.value("diagnosis", Json()), Join(path, "diagnosis"));
  if (!diagnosis) return std::unexpected(diagnosis.error());
  return CheckAuthProbe(other.value("probe", Json::object()), Join(path, "probe"));
}

Status CheckStatusRules(const Json& rules, std::string_view path) {
  if (!rules.is_array()) return json_read::WrongType(path, "an array", rules);
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string at = std::string(path) + "[" + std::to_string(i) + "]";
    const Json& rule = rules[i];
    if (auto ok = json_read::CheckObject(
            rule, at, {"status", "body_contains", "probe", "outcome", "diagnosis"});
        !ok) {
      return ok;
    }
    auto status = json_read::Integer(rule.value("status", Json()), Join(at, "status"), 100, 599);
    if (!status) return std::unexpected(status.error());
    auto outcome = json_read::String(rule.value("outcome", Json()), Join(at, "outcome"));
    if (!outcome) return std::unexpected(outcome.error());
    if (!OutcomeFromName(*outcome)) {
      return json_read::Invalid(Join(at, "outcome"), "unknown outcome \"" + *outcome + "\"");
    }
    if (rule.contains("probe")) {
      static constexpr std::array<std::string_view, 2> kProbes = {"auth", "model"};
      if (auto ok = OneOf(rule, at, "probe", kProbes); !ok) return ok;
    }
    for (std::string_view key : {"body_contains", "diagnosis"}) {
      if (!rule.contains(key)) continue;
      if (auto text = json_read::String(rule[key], Join(at, key)); !text) {
        return std::unexpected(text.error());
      }
    }
  }
  return {};
}

Status CheckPerEndpoint(const Json& per_endpoint, std::string_view path,
                        const ProviderInfo& provider) {
  if (!per_endpoint.is_object()) return json_read::WrongType(path, "an object", per_endpoint);
  for (const auto& [name, entry] : per_endpoint.items()) {
    std::string at = Join(path, name);
    if (!provider.endpoints.contains(name)) {
      return json_read::Invalid(at, "not an endpoint of " + provider.id);
    }
    if (auto ok = json_read::CheckObject(
            entry, at, {"env_var", "auth_probe", "model_probe", "list_probe", "other_host"});
        !ok) {
      return ok;
    }
    if (entry.contains("env_var")) {
      if (auto v = json_read::String(entry["env_var"], Join(at, "env_var")); !v) {
        return std::unexpected(v.error());
      }
    }
    if (entry.contains("auth_probe")) {
      if (auto ok = CheckAuthProbe(entry["auth_probe"], Join(at, "auth_probe")); !ok) return ok;
    }
    if (entry.contains("model_probe")) {
      if (auto ok = CheckModelProbe(entry["model_probe"], Join(at, "model_probe")); !ok) return ok;
    }
    if (entry.contains("list_probe")) {
      if (auto ok = CheckListProbe(entry["list_probe"], Join(at, "list_probe")); !ok) return ok;
    }
    if (entry.contains("other_host")) {
      if (auto ok = CheckOtherHost(entry["other_host"], Join(at, "other_host"), provider); !ok) {
        return ok;
      }
    }
  }
  return {};
}

}  // namespace

Status CheckProviderSpec(const Json& spec, std::string_view path, const ProviderInfo& provider) {
  if (auto ok = json_read::CheckObject(spec, path,
                                       {"auth", "auth_probe", "model_probe", "list_probe",
                                        "aliases", "other_host", "status_rules", "per_endpoint"});
      !ok) {
    return ok;
  }
  for (std::string_view key : {"auth", "auth_probe", "model_probe", "list_probe", "status_rules"}) {
    if (!spec.contains(key)) return json_read::Invalid(Join(path, key), "missing");
  }
  const Json& auth = spec["auth"];
  if (auto ok = json_read::CheckObject(auth, Join(path, "auth"), {"header", "extra_headers"});
      !ok) {
    return ok;
  }
  if (auto ok = OneOf(auth, Join(path, "auth"), "header", kAuthHeaders); !ok) return ok;
  if (auth.contains("extra_headers")) {
    auto headers = json_read::StringMap(auth["extra_headers"], Join(path, "auth.extra_headers"));
    if (!headers) return std::unexpected(headers.error());
  }
  if (auto ok = CheckAuthProbe(spec["auth_probe"], Join(path, "auth_probe")); !ok) return ok;
  if (auto ok = CheckModelProbe(spec["model_probe"], Join(path, "model_probe")); !ok) return ok;
  if (auto ok = CheckListProbe(spec["list_probe"], Join(path, "list_probe")); !ok) return ok;
  if (auto ok = CheckStatusRules(spec["status_rules"], Join(path, "status_rules")); !ok) return ok;
  if (spec.contains("aliases")) {
    const Json& aliases = spec["aliases"];
    std::string at = Join(path, "aliases");
    if (auto ok = json_read::CheckObject(aliases, at, {"source", "field", "path", "known", "note"});
        !ok) {
      return ok;
    }
    if (auto ok = OneOf(aliases, at, "source", kAliasSources); !ok) return ok;
    if (aliases.contains("known")) {
      if (auto known = json_read::StringMap(aliases["known"], Join(at, "known")); !known) {
        return std::unexpected(known.error());
      }
    }
  }
  if (spec.contains("other_host")) {
    if (auto ok = CheckOtherHost(spec["other_host"], Join(path, "other_host"), provider); !ok) {
      return ok;
    }
  }
  if (spec.contains("per_endpoint")) {
    return CheckPerEndpoint(spec["per_endpoint"], Join(path, "per_endpoint"), provider);
  }
  return {};
}

}  // namespace keywarden
