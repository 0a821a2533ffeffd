#include "export/fetch.h"

namespace keywarden::cli::exporting {

Result<Slot> FetchSlot(Client& client, const std::string& ref, const std::string& purpose) {
  Json rest;
  Result<SecretBuffer> secret =
      client.CallForSecret("slot.get", {{"ref", ref}, {"purpose", purpose}}, &rest);
  if (!secret) return std::unexpected(secret.error());
  auto text = [&](const char* key) {
    auto it = rest.find(key);
    return it != rest.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  Slot slot;
  slot.ref = text("ref").empty() ? ref : text("ref");
  size_t slash = slot.ref.find('/');
  slot.env = slot.ref.substr(0, slash);
  slot.name = slash == std::string::npos ? slot.ref : slot.ref.substr(slash + 1);
  slot.provider = text("provider");
  slot.endpoint = text("endpoint");
  slot.base_url = text("base_url");
  slot.env_var = text("env_var");
  if (auto it = rest.find("models"); it != rest.end() && it->is_array()) {
    for (const Json& model : *it) {
      if (model.is_string()) slot.models.push_back(model.get<std::string>());
    }
  }
  if (auto it = rest.find("version"); it != rest.end() && it->is_number_integer())
    slot.version = it->get<int64_t>();
  slot.secret = std::move(*secret);
  return slot;
}

}  // namespace keywarden::cli::exporting
