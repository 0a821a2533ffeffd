// ParseConfig and LoadConfig of keywarden/config.h.
#include "keywarden/config.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <tuple>
#include <utility>

#include "common/json_read.h"
#include "keywarden/providers.h"
#include "keywarden/regular_file.h"

namespace keywarden {
namespace {

using json_read::Join;
using json_read::Json;

constexpr size_t kMaxConfigBytes = 1 << 20;

// A CA bundle of any real size fits; anything bigger is not one.
constexpr size_t kMaxCaFileBytes = 16 << 20;

// Paths and argv elements reach C APIs, which would stop at a NUL ("\u0000"
// in JSON) and silently use a shorter string.
Status NoNul(std::string_view text, std::string_view field) {
  if (text.find('\0') == std::string_view::npos) return {};
  return json_read::Invalid(field, "contains a NUL character (\\u0000)");
}

// validation.ca_file must be readable now, not at the first check: a
// regular file with at least one PEM certificate.
Status CheckCaFile(const std::filesystem::path& file) {
  Result<std::string> pem = ReadRegularFile(file, "validation.ca_file", kMaxCaFileBytes);
  if (!pem) return std::unexpected(pem.error());
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  size_t begin = pem->find(kBegin);
  size_t end = begin == std::string::npos ? begin : pem->find(kEnd, begin);
  std::string_view body;
  if (end != std::string::npos) {
    body = std::string_view(*pem).substr(begin + kBegin.size(), end - begin - kBegin.size());
  }
  auto base64 = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
  };
  auto space = [](char c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t'; };
  bool pem_block =
      std::any_of(body.begin(), body.end(), base64) &&
      std::all_of(body.begin(), body.end(), [&](char c) { return base64(c) || space(c); });
  if (!pem_block) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("validation.ca_file {} holds no PEM certificate", file.string()),
                "point it at a PEM file with -----BEGIN CERTIFICATE----- blocks");
  }
  return {};
}

const Json* Field(const Json& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

Status ReadDuration(const Json& object, std::string_view path, std::string_view key, int64_t& out) {
  const Json* value = Field(object, key);
  if (value == nullptr) return {};
  std::string field = Join(path, key);
  if (!value->is_string()) {
    return json_read::WrongType(field, "a duration string like \"30s\", \"5m\", \"2h\" or \"90d\"",
                                *value);
  }
  auto seconds = ParseDuration(value->get_ref<const std::string&>());
  if (!seconds) return json_read::Invalid(field, seconds.error().message);
  out = *seconds;
  return {};
}

// A path, or null for "none".
Status ReadOptionalPath(const Json& object, std::string_view path, std::string_view key,
                        std::optional<std::filesystem::path>& out) {
  const Json* value = Field(object, key);
  if (value == nullptr || value->is_null()) return {};
  std::string field = Join(path, key);
  if (!value->is_string()) return json_read::WrongType(field, "a file path string or null", *value);
  if (value->get_ref<const std::string&>().empty()) return json_read::Invalid(field, "is empty");
  if (auto ok = NoNul(value->get_ref<const std::string&>(), field); !ok) return ok;
  out = value->get_ref<const std::string&>();
  return {};
}

Status ParseEndpoints(const Json& value, std::string_view path, const ProviderInfo& provider,
                      std::map<std::string, std::string>& out) {
  auto urls = json_read::StringMap(value, path);
  if (!urls) return std::unexpected(urls.error());
  for (const auto& [name, url] : *urls) {
    std::string field = Join(path, name);
    // openai-compatible has no named endpoints of its own; config may name some.
    bool known = name == "default" || provider.endpoints.contains(name) ||
                 (provider.custom_url && IsValidRefPart(name));
    if (!known) {
      std::string names;
      for (const auto& [n, unused] : provider.endpoints) names += (names.empty() ? "" : ", ") + n;
      return Fail(ErrorCode::kInvalidArgument, field + ": " + provider.id + " has no such endpoint",
                  "endpoints of " + provider.id + ": " + names);
    }
    if (auto ok = CheckEndpointUrl(url); !ok) return json_read::Invalid(field, ok.error().message);
  }
  out = std::move(*urls);
  return {};
}

Status ParseProviders(const Json& value, std::map<std::string, ProviderOverride>& out) {
  if (!value.is_object()) return json_read::WrongType("providers", "an object", value);
  const Catalogue& catalogue = Catalogue::Builtin();
  for (const auto& [id, entry] : value.items()) {
    std::string path = Join("providers", id);
    const ProviderInfo* provider = catalogue.Find(id);
    if (provider == nullptr) {
      std::string ids;
      for (const ProviderInfo& p : catalogue.All()) ids += (ids.empty() ? "" : ", ") + p.id;
      return Fail(ErrorCode::kInvalidArgument, path + ": unknown provider", "providers: " + ids);
    }
    if (auto ok = json_read::CheckObject(entry, path, {"endpoints", "activation_window"}); !ok) {
      return ok;
    }
    ProviderOverride& over = out[id];
    if (const Json* endpoints = Field(entry, "endpoints")) {
      if (auto ok = ParseEndpoints(*endpoints, Join(path, "endpoints"), *provider, over.endpoints);
          !ok) {
        return ok;
      }
    }
    if (Field(entry, "activation_window") != nullptr) {
      int64_t seconds = 0;
      if (auto ok = ReadDuration(entry, path, "activation_window", seconds); !ok) return ok;
      over.activation_window = seconds;
    }
  }
  return {};
}

Status ParseValidation(const Json& value, ValidationConfig& out) {
  constexpr std::string_view kPath = "validation";
  if (auto ok = json_read::CheckObject(value, kPath,
                                       {"revalidate_every", "retry_min", "retry_max", "timeout",
                                        "concurrency_per_endpoint", "ca_file"});
      !ok) {
    return ok;
  }
  for (auto [key, field] : {std::pair{"revalidate_every", &out.revalidate_every},
                            {"retry_min", &out.retry_min},
                            {"retry_max", &out.retry_max},
                            {"timeout", &out.timeout}}) {
    if (auto ok = ReadDuration(value, kPath, key, *field); !ok) return ok;
  }
  if (const Json* n = Field(value, "concurrency_per_endpoint")) {
    auto count = json_read::Integer(*n, "validation.concurrency_per_endpoint", 1, 256);
    if (!count) return std::unexpected(count.error());
    out.concurrency_per_endpoint = static_cast<int>(*count);
  }
  if (out.retry_min > out.retry_max) {
    return json_read::Invalid(
        "validation.retry_min",
        "must not be longer than validation.retry_max (" + FormatDuration(out.retry_max) + ")");
  }
  return ReadOptionalPath(value, kPath, "ca_file", out.ca_file);
}

Status ParseRotation(const Json& value, RotationPolicy& out) {
  if (auto ok =
          json_read::CheckObject(value, "rotation", {"rotate_every", "remind_before", "grace"});
      !ok) {
    return ok;
  }
  for (auto [key, field] : {std::pair{"rotate_every", &out.rotate_every},
                            {"remind_before", &out.remind_before},
                            {"grace", &out.grace}}) {
    if (auto ok = ReadDuration(value, "rotation", key, *field); !ok) return ok;
  }
  return {};
}

// A duration, or null for "never".
Status ReadOptionalDuration(const Json& object, std::string_view path, std::string_view key,
                            std::optional<int64_t>& out) {
  const Json* value = Field(object, key);
  if (value == nullptr) return {};
  if (value->is_null()) {
    out.reset();
    return {};
  }
  int64_t seconds = 0;
  if (auto ok = ReadDuration(object, path, key, seconds); !ok) return ok;
  out = seconds;
  return {};
}

Status ParseEvents(const Json& value, EventsConfig& out) {
  constexpr std::string_view kPath = "events";
  if (auto ok = json_read::CheckObject(value, kPath, {"keep", "aggregate_gets_after"}); !ok) {
    return ok;
  }
  if (auto ok = ReadOptionalDuration(value, kPath, "keep", out.keep); !ok) return ok;
  if (auto ok =
          ReadOptionalDuration(value, kPath, "aggregate_gets_after", out.aggregate_gets_after);
      !ok) {
    return ok;
  }
  if (out.keep && out.aggregate_gets_after && *out.aggregate_gets_after > *out.keep) {
    return json_read::Invalid(
        "events.aggregate_gets_after",
        "must not be longer than events.keep (" + FormatDuration(*out.keep) + ")");
  }
  return {};
}

Status ParseGateway(const Json& value, GatewayConfig& out) {
  constexpr std::string_view kPath = "gateway";
  if (auto ok = json_read::CheckObject(
          value, kPath,
          {"listen", "max_header_bytes", "max_headers", "max_body_bytes", "max_per_token",
           "max_connections", "header_timeout", "body_timeout", "idle_timeout", "upstream_timeout",
           "upstream_silence", "write_timeout"});
      !ok) {
    return ok;
  }
  const Json* listen = Field(value, "listen");
  if (listen == nullptr) {
    return json_read::Invalid("gateway.listen", "is required, e.g. \"127.0.0.1:8370\"");
  }
  auto text = json_read::String(*listen, "gateway.listen");
  if (!text) return std::unexpected(text.error());
  auto address = ParseLoopbackListen(*text, "gateway.listen");
  if (!address) return std::unexpected(address.error());
  out.host = address->first;
  out.port = address->second;
  for (auto [key, field, min, max] :
       {std::tuple{"max_header_bytes", &out.max_header_bytes, 1024, 1024 * 1024},
        {"max_headers", &out.max_headers, 8, 1000},
        {"max_body_bytes", &out.max_body_bytes, 1024, 32 * 1024 * 1024}}) {
    if (const Json* n = Field(value, key)) {
      auto count = json_read::Integer(*n, Join(kPath, key), min, max);
      if (!count) return std::unexpected(count.error());
      *field = static_cast<size_t>(*count);
    }
  }
  for (auto [key, field, min, max] : {std::tuple{"max_per_token", &out.max_per_token, 1, 100000},
                                      {"max_connections", &out.max_connections, 1, 100000}}) {
    if (const Json* n = Field(value, key)) {
      auto count = json_read::Integer(*n, Join(kPath, key), min, max);
      if (!count) return std::unexpected(count.error());
      *field = static_cast<int>(*count);
    }
  }
  for (auto [key, field] : {std::pair{"header_timeout", &out.header_timeout},
                            {"body_timeout", &out.body_timeout},
                            {"idle_timeout", &out.idle_timeout},
                            {"upstream_timeout", &out.upstream_timeout},
                            {"upstream_silence", &out.upstream_silence},
                            {"write_timeout", &out.write_timeout}}) {
    if (auto ok = ReadDuration(value, kPath, key, *field); !ok) return ok;
    if (*field <= 0) return json_read::Invalid(Join(kPath, key), "must be at least 1s");
  }
  return {};
}

Status ParseTopLevel(const Json& doc, Config& config) {
  if (auto ok = json_read::CheckObject(
          doc, "",
          {"default_env", "providers", "validation", "rotation", "reminders", "notify", "audit",
           "events", "master_key_file", "unlock", "gateway"});
      !ok) {
    return ok;
  }
  if (const Json* env = Field(doc, "default_env")) {
    auto text = json_read::String(*env, "default_env");
    if (!text) return std::unexpected(text.error());
    if (!IsValidRefPart(*text)) {
      return json_read::Invalid("default_env",
                                "expected a lower-case letter or digit, then up to 62 lower-case "
                                "letters, digits, '_' or '-'");
    }
    config.default_env = std::move(*text);
  }
  if (const Json* v = Field(doc, "providers")) {
    if (auto ok = ParseProviders(*v, config.providers); !ok) return ok;
  }
  if (const Json* v = Field(doc, "validation")) {
    if (auto ok = ParseValidation(*v, config.validation); !ok) return ok;
  }
  if (const Json* v = Field(doc, "rotation")) {
    if (auto ok = ParseRotation(*v, config.rotation); !ok) return ok;
  }
  if (const Json* v = Field(doc, "reminders")) {
    if (auto ok = json_read::CheckObject(*v, "reminders", {"repeat_every"}); !ok) return ok;
    if (auto ok = ReadDuration(*v, "reminders", "repeat_every", config.repeat_every); !ok)
      return ok;
  }
  if (const Json* v = Field(doc, "notify")) {
    if (auto ok = json_read::CheckObject(*v, "notify", {"command"}); !ok) return ok;
    if (const Json* command = Field(*v, "command")) {
      auto argv = json_read::StringList(*command, "notify.command");
      if (!argv) return std::unexpected(argv.error());
      if (argv->front().empty()) return json_read::Invalid("notify.command[0]", "is empty");
      for (size_t i = 0; i < argv->size(); ++i) {
        if (auto ok = NoNul((*argv)[i], fmt::format("notify.command[{}]", i)); !ok) return ok;
      }
      config.notify_command = std::move(*argv);
    }
  }
  if (const Json* v = Field(doc, "audit")) {
    if (auto ok = json_read::CheckObject(*v, "audit", {"sync_before_reply"}); !ok) return ok;
    if (const Json* sync = Field(*v, "sync_before_reply")) {
      auto flag = json_read::Bool(*sync, "audit.sync_before_reply");
      if (!flag) return std::unexpected(flag.error());
      config.audit_sync_before_reply = *flag;
    }
  }
  if (const Json* v = Field(doc, "events")) {
    if (auto ok = ParseEvents(*v, config.events); !ok) return ok;
  }
  if (auto ok = ReadOptionalPath(doc, "", "master_key_file", config.master_key_file); !ok) {
    return ok;
  }
  if (const Json* v = Field(doc, "unlock")) {
    auto mode = json_read::String(*v, "unlock");
    if (!mode) return std::unexpected(mode.error());
    if (*mode != "file" && *mode != "passphrase") {
      return json_read::Invalid("unlock", "expected \"file\" or \"passphrase\"");
    }
    config.unlock = std::move(*mode);
  }
  if (const Json* v = Field(doc, "gateway")) {
    GatewayConfig gateway;
    if (auto ok = ParseGateway(*v, gateway); !ok) return ok;
    config.gateway = std::move(gateway);
  }
  return {};
}

}  // namespace

Result<std::pair<std::string, uint16_t>> ParseLoopbackListen(std::string_view text,
                                                             std::string_view field) {
  auto bad = [&](std::string_view why) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{}: {}", field, why),
                "use a loopback address and port, e.g. \"127.0.0.1:8370\" or \"[::1]:8370\"");
  };
  std::string host;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("expected [ADDRESS]:PORT");
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("expected ADDRESS:PORT");
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    if ((ntohl(v4.s_addr) >> 24) != 127) {
      return bad(
          fmt::format("{} is not a loopback address: the gateway listens on loopback only", host));
    }
  } else if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&v6)) {
      return bad(
          fmt::format("{} is not a loopback address: the gateway listens on loopback only", host));
    }
  } else {
    return bad(
        fmt::format("{} is not an IP address (names such as localhost are not accepted)", host));
  }
  return std::pair{host, static_cast<uint16_t>(port)};
}

Result<Config> ParseConfig(std::string_view text, std::string_view origin) {
  auto prefixed = [&](Error error) {
    error.message = std::string(origin) + ": " + error.message;
    return std::unexpected(std::move(error));
  };
  auto doc = json_read::Parse(text);
  if (!doc) return prefixed(doc.error());
  if (!doc->is_object()) {
    return prefixed(Error{ErrorCode::kInvalidArgument,
                          "expected a JSON object, got " + std::string(json_read::TypeName(*doc))});
  }
  Config config;
  if (auto ok = ParseTopLevel(*doc, config); !ok) return prefixed(ok.error());
  return config;
}

Result<Config> LoadConfig(const std::filesystem::path& file) {
  Result<std::string> text = ReadRegularFile(file, "config file", kMaxConfigBytes);
  if (!text && text.error().code == ErrorCode::kNotFound) return Config{};
  if (!text) return std::unexpected(text.error());
  auto config = ParseConfig(*text, file.string());
  if (!config) return config;
  // Relative paths in the file are relative to the file, not to whatever
  // directory the daemon or CLI happens to run in.
  for (auto* path : {&config->validation.ca_file, &config->master_key_file}) {
    if (*path && path->value().is_relative()) *path = file.parent_path() / path->value();
  }
  if (const std::optional<std::filesystem::path>& ca = config->validation.ca_file) {
    if (Status ok = CheckCaFile(*ca); !ok) {
      return std::unexpected(
          Error{ok.error().code, file.string() + ": " + ok.error().message, ok.error().hint});
    }
  }
  return config;
}

}  // namespace keywarden
