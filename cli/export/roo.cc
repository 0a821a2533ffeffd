// --to roo: Roo Code keeps its profiles in VS Code's SecretStorage, which no
// other program can write; its supported file route is a settings import
// file plus `roo-cline.autoImportSettingsPath` in VS Code's user
// settings.json, imported on every start of the extension. The import file
// holds one profile per exported slot, keywarden-ENV-NAME; settings.json is
// JSONC and keeps its comments. reference/ide-configs.md §2.
#include <fmt/format.h>

#include "export/atomic_file.h"
#include "export/common.h"

namespace keywarden::cli::exporting {
namespace fs = std::filesystem;
namespace {

// Where a provider's key, model and base URL go in a Roo profile
// (@roo-code/types providerSettingsSchema), and what Roo's SDK appends to the
// base URL itself.
struct RooFields {
  std::string_view provider, api_provider, key, model, url, url_suffix;
};

constexpr RooFields kRooFields[] = {
    {"openrouter", "openrouter", "openRouterApiKey", "openRouterModelId", "openRouterBaseUrl", ""},
    {"mistral", "mistral", "mistralApiKey", "apiModelId", "mistralCodestralUrl", "/v1"},
    {"gemini", "gemini", "geminiApiKey", "apiModelId", "googleGeminiBaseUrl", "/v1beta"},
    {"deepseek", "deepseek", "deepSeekApiKey", "apiModelId", "deepSeekBaseUrl", ""},
    {"anthropic", "anthropic", "apiKey", "apiModelId", "anthropicBaseUrl", "/v1"},
    {"openai", "openai-native", "openAiNativeApiKey", "apiModelId", "openAiNativeBaseUrl", ""},
    {"openai-compatible", "openai", "openAiApiKey", "openAiModelId", "openAiBaseUrl", ""},
};

// The profile, plus a warning when Roo cannot be pointed at the endpoint.
OrderedJson Profile(const Request& request, const RooFields& fields,
                    std::vector<std::string>* warnings) {
  const Slot& slot = *request.slot;
  OrderedJson profile = OrderedJson::object();
  profile["apiProvider"] = fields.api_provider;
  profile[std::string(fields.key)] = std::string(slot.secret.view());
  profile[std::string(fields.model)] = request.model;
  std::string url = TrimSuffix(slot.base_url, fields.url_suffix);
  if (slot.provider == "mistral") {
    // Roo sends codestral-* models to mistralCodestralUrl (by default
    // codestral.mistral.ai) and every other model to api.mistral.ai.
    if (request.model.starts_with("codestral-")) {
      profile["mistralCodestralUrl"] = url;
    } else if (!IsDefaultEndpoint(slot)) {
      warnings->push_back(fmt::format("Roo Code sends {} only to https://api.mistral.ai, not to {}",
                                      request.model, slot.base_url));
    }
  } else if (slot.provider == "openai-compatible" || !IsDefaultEndpoint(slot)) {
    profile[std::string(fields.url)] = url;
  }
  return profile;
}

}  // namespace

Result<Plan> PlanRoo(const Request& request) {
  const Slot& slot = *request.slot;
  const RooFields* fields = nullptr;
  for (const RooFields& candidate : kRooFields) {
    if (candidate.provider == slot.provider) fields = &candidate;
  }
  if (fields == nullptr) return std::unexpected(UnsupportedProvider("roo", slot, "OpenAI-style"));
  const fs::path import_file =
      fs::absolute(TargetPath(request, ConfigHome() / "keywarden" / "roo-code-settings.json"));
  const fs::path settings = ConfigHome() / "Code" / "User" / "settings.json";
  const std::string name = EntryName(slot);

  Plan plan;
  Result<std::optional<std::string>> import_before = ReadIfExists(import_file);
  if (!import_before) return std::unexpected(import_before.error());
  Result<JsoncDocument> import = LoadJson(import_file, *import_before, /*comments=*/false);
  if (!import) return std::unexpected(import.error());
  // Roo replaces a same-name profile wholesale on import, so the profile is
  // written whole; other keywarden profiles in the file stay. Roo makes the
  // imported current profile the active one.
  Status steps[] = {
      import->Set({"providerProfiles", "currentApiConfigName"}, name),
      import->Set({"providerProfiles", "apiConfigs", name},
                  Profile(request, *fields, &plan.warnings)),
  };
  for (const Status& step : steps) {
    if (!step) return std::unexpected(EditFailure(import_file, step.error().message));
  }

  Result<std::optional<std::string>> settings_before = ReadIfExists(settings);
  if (!settings_before) return std::unexpected(settings_before.error());
  Result<JsoncDocument> vscode = LoadJson(settings, *settings_before, /*comments=*/true);
  if (!vscode) return std::unexpected(vscode.error());
  if (Status set = vscode->Set({"roo-cline.autoImportSettingsPath"}, import_file.string()); !set) {
    return std::unexpected(EditFailure(settings, set.error().message));
  }

  plan.files.push_back(
      {import_file, std::move(*import_before), import->text(), /*secret=*/true,
       JsonField({"providerProfiles", "apiConfigs", name, std::string(fields->key)})});
  plan.files.push_back({settings, std::move(*settings_before), vscode->text(), /*secret=*/false});
  plan.notes.push_back("reload VS Code (Developer: Reload Window); Roo Code imports " + name +
                       " on every start, so edit the profile with `keywarden export`, not in Roo");
  return plan;
}

}  // namespace keywarden::cli::exporting
