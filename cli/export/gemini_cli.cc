// --to gemini-cli: GEMINI_API_KEY (and GOOGLE_GEMINI_BASE_URL for a
// non-default endpoint) in ~/.gemini/.env, plus API-key auth and the model
// in ~/.gemini/settings.json (JSONC, comments kept). GEMINI_CLI_HOME
// replaces the home directory, as in Gemini CLI. reference/ide-configs.md §4.
#include <cstdlib>

#include "export/atomic_file.h"
#include "export/common.h"
#include "export/dotenv_file.h"

namespace keywarden::cli::exporting {
namespace fs = std::filesystem;

Result<Plan> PlanGeminiCli(const Request& request) {
  const Slot& slot = *request.slot;
  if (slot.provider != "gemini")
    return std::unexpected(UnsupportedProvider("gemini-cli", slot, "gemini"));
  const fs::path dir = DirFromEnv("GEMINI_CLI_HOME", HomeDir()) / ".gemini";
  const fs::path env_file = TargetPath(request, dir / ".env");
  const fs::path settings = dir / "settings.json";

  Result<std::optional<std::string>> env_before = ReadIfExists(env_file);
  if (!env_before) return std::unexpected(env_before.error());
  // The Gemini SDK appends the API version to GOOGLE_GEMINI_BASE_URL.
  std::optional<std::string> base_url;
  if (!IsDefaultEndpoint(slot)) base_url = TrimSuffix(slot.base_url, "/v1beta");
  Result<std::string> env_after = EditDotenv(
      env_before->value_or(""),
      {{"GEMINI_API_KEY", std::string(slot.secret.view())}, {"GOOGLE_GEMINI_BASE_URL", base_url}});
  if (!env_after) return std::unexpected(ParseFailure(env_file, env_after.error().message));

  Result<std::optional<std::string>> settings_before = ReadIfExists(settings);
  if (!settings_before) return std::unexpected(settings_before.error());
  Result<JsoncDocument> doc = LoadJson(settings, *settings_before, /*comments=*/true);
  if (!doc) return std::unexpected(doc.error());
  Plan plan;
  Status auth = doc->Set({"security", "auth", "selectedType"}, "gemini-api-key");
  if (!auth) return std::unexpected(EditFailure(settings, auth.error().message));
  // Older Gemini CLI releases kept `model` as a plain string; that is left alone.
  const OrderedJson& model =
      doc->value().contains("model") ? doc->value()["model"] : OrderedJson::object();
  if (model.is_object()) {
    if (Status set = doc->Set({"model", "name"}, request.model); !set) {
      return std::unexpected(EditFailure(settings, set.error().message));
    }
  } else {
    plan.warnings.push_back(settings.string() +
                            ": `model` is not an object, so the model was not set");
  }
  if (const char* google = std::getenv("GOOGLE_API_KEY"); google && *google) {
    plan.warnings.push_back(
        "GOOGLE_API_KEY is set in this environment; Gemini CLI prefers it to GEMINI_API_KEY");
  }
  plan.files.push_back({env_file, std::move(*env_before), std::move(*env_after), /*secret=*/true,
                        DotenvField("GEMINI_API_KEY")});
  plan.files.push_back({settings, std::move(*settings_before), doc->text(), /*secret=*/false});
  plan.notes.push_back(
      "Gemini CLI reads ~/.gemini/.env only in trusted folders; restart it to reload");
  return plan;
}

}  // namespace keywarden::cli::exporting
