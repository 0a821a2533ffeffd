#include "export/fetch.h"

#include "reply.h"

namespace keywarden::cli::exporting {

Result<Slot> FetchSlot(Client& client, const std::string& ref, const std::string& purpose) {
  Json rest;
  Result<SecretBuffer> secret =
      client.CallForSecret("slot.get", {{"ref", ref}, {"purpose", purpose}}, &rest);
  if (!secret) return std::unexpected(secret.error());
  if (!HasShape(rest, {{"ref", Kind::kString},
                       {"provider", Kind::kString},
                       {"endpoint", Kind::kString},
                       {"base_url", Kind::kString},
                       {"env_var", Kind::kString},
                       {"models", Kind::kArray},
                       {"version", Kind::kInteger}})) {
    return std::unexpected(UnexpectedReply());
  }
  auto text = [&](const char* key) { return rest[key].get<std::string>(); };
  Slot slot;
  slot.ref = text("ref").empty() ? ref : text("ref");
  size_t slash = slot.ref.find('/');
  slot.env = slot.ref.substr(0, slash);
  slot.name = slash == std::string::npos ? slot.ref : slot.ref.substr(slash + 1);
  slot.provider = text("provider");
  slot.endpoint = text("endpoint");
  slot.base_url = text("base_url");
  slot.env_var = text("env_var");
  for (const Json& model : rest["models"]) {
    if (model.is_string()) slot.models.push_back(model.get<std::string>());
  }
  slot.version = rest["version"].get<int64_t>();
  slot.secret = std::move(*secret);
  return slot;
}

}  // namespace keywarden::cli::exporting
