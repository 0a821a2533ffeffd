#include "scan/daemon_seam.h"

#include <fmt/format.h>

#include <algorithm>

#include "keywarden/secret_json.h"

namespace keywarden::cli::scan {
namespace {

bool IsUnknownMethod(const Error& error) {
  return error.code == ErrorCode::kProtocol && error.message.starts_with("unknown method");
}

// The list in key.identify's result: the result itself when it is an
// array, else its first array member ("matches", "slots", …).
const Json* MatchList(const Json& result) {
  if (result.is_array()) return &result;
  if (!result.is_object()) return nullptr;
  for (const char* name : {"matches", "slots", "versions", "keys", "identities"}) {
    if (auto it = result.find(name); it != result.end() && it->is_array()) return &*it;
  }
  for (const auto& [name, value] : result.items()) {
    if (value.is_array()) return &value;
  }
  return nullptr;
}

}  // namespace

Result<std::optional<std::vector<Identity>>> IdentifyKey(Client& client, std::string_view secret) {
  Result<Json> result = client.Call("key.identify", Json::object(), {{"secret", secret}});
  if (!result) {
    if (IsUnknownMethod(result.error())) return std::optional<std::vector<Identity>>();
    return std::unexpected(result.error());
  }
  const Json* list = MatchList(*result);
  if (list == nullptr) {
    return Fail(ErrorCode::kProtocol, "unexpected reply to key.identify: no list of slots");
  }
  std::vector<Identity> identities;
  for (const Json& entry : *list) {
    if (!entry.is_object()) continue;
    Identity identity;
    if (auto ref = entry.find("ref"); ref != entry.end() && ref->is_string()) {
      identity.ref = ref->get<std::string>();
    }
    if (auto version = entry.find("version"); version != entry.end() && version->is_number()) {
      identity.version = version->get<int64_t>();
    }
    if (auto state = entry.find("state"); state != entry.end() && state->is_string()) {
      identity.state = state->get<std::string>();
    }
    if (auto current = entry.find("current"); current != entry.end() && current->is_boolean()) {
      identity.current = current->get<bool>();
    }
    if (auto gone = entry.find("destroyed"); gone != entry.end() && gone->is_boolean()) {
      identity.destroyed = gone->get<bool>();
    }
    if (identity.state == "current") identity.current = true;
    if (!identity.ref.empty()) identities.push_back(std::move(identity));
  }
  return std::optional<std::vector<Identity>>(std::move(identities));
}

std::string Describe(const std::vector<Identity>& identities) {
  if (identities.empty()) return "unknown";
  std::string out;
  for (const Identity& identity : identities) {
    if (!out.empty()) out += "; ";
    if (identity.current) {
      out += "current of " + identity.ref;
    } else {
      std::string state = identity.state.empty() ? "known" : identity.state;
      if (identity.destroyed && state != "revoked") state = "destroyed";
      out += fmt::format("{} v{} of {}", state, identity.version, identity.ref);
    }
  }
  return out;
}

std::vector<std::string> Environments(const std::vector<Identity>& identities) {
  std::vector<std::string> envs;
  for (const Identity& identity : identities) {
    size_t slash = identity.ref.find('/');
    envs.push_back(slash == std::string::npos ? std::string() : identity.ref.substr(0, slash));
  }
  std::sort(envs.begin(), envs.end());
  envs.erase(std::unique(envs.begin(), envs.end()), envs.end());
  return envs;
}

Result<bool> RecordCopy(Client& client, const std::string& ref, int64_t version,
                        std::string_view target, const std::filesystem::path& path,
                        std::string_view field, std::string_view model) {
  Json params = {{"ref", ref},
                 {"version", version},
                 {"target", std::string(target)},
                 {"path", path.string()},
                 {"field", std::string(field)}};
  if (!model.empty()) params["model"] = std::string(model);
  Result<Json> result = client.Call("copy.record", params);
  if (!result) {
    if (IsUnknownMethod(result.error())) return false;
    return std::unexpected(result.error());
  }
  return true;
}

}  // namespace keywarden::cli::scan
