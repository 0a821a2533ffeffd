// --to claude-code: `apiKeyHelper` in ~/.claude/settings.json runs
// `keywarden get ENV/NAME`, so no secret is written to disk and a rotation
// reaches Claude Code on its next helper call. Claude Code speaks only
// Anthropic's Messages API: Anthropic keys, or OpenRouter through its
// Anthropic-compatible route. Via the gateway there is no helper (it would
// fetch the key itself): env.ANTHROPIC_BASE_URL is the gateway's URL and
// env.ANTHROPIC_AUTH_TOKEN the token, so the file is a secret (0600).
// reference/ide-configs.md §4.
#include "export/atomic_file.h"
#include "export/common.h"

namespace keywarden::cli::exporting {
namespace fs = std::filesystem;

Result<Plan> PlanClaudeCode(const Request& request) {
  const Slot& slot = *request.slot;
  if (slot.provider != "anthropic" && slot.provider != "openrouter") {
    return std::unexpected(UnsupportedProvider("claude-code", slot, "anthropic and openrouter"));
  }
  const fs::path file =
      TargetPath(request, DirFromEnv("CLAUDE_CONFIG_DIR", HomeDir() / ".claude") / "settings.json");
  Result<std::optional<std::string>> before = ReadIfExists(file);
  if (!before) return std::unexpected(before.error());
  Result<JsoncDocument> doc = LoadJson(file, *before, /*comments=*/false);
  if (!doc) return std::unexpected(doc.error());

  // Claude Code appends /v1/messages to ANTHROPIC_BASE_URL itself.
  const std::vector<std::string> base_url = {"env", "ANTHROPIC_BASE_URL"};
  const std::vector<std::string> auth_token = {"env", "ANTHROPIC_AUTH_TOKEN"};
  Plan plan;
  const OrderedJson& env_before =
      doc->value().contains("env") ? doc->value()["env"] : OrderedJson();
  const bool had_api_key = env_before.is_object() && env_before.contains("ANTHROPIC_API_KEY");
  const bool had_auth_token = env_before.is_object() && env_before.contains("ANTHROPIC_AUTH_TOKEN");
  std::vector<Status> steps;
  if (request.via_gateway) {
    steps.push_back(doc->Remove({"apiKeyHelper"}));
    steps.push_back(doc->Set({"model"}, request.model));
    steps.push_back(doc->Set(base_url, slot.base_url));
    steps.push_back(doc->Set(auth_token, std::string(slot.secret.view())));
  } else {
    steps.push_back(doc->Set({"apiKeyHelper"}, ShellCommand(request.get_command)));
    steps.push_back(doc->Set({"model"}, request.model));
    steps.push_back(slot.provider == "anthropic" && IsDefaultEndpoint(slot)
                        ? doc->Remove(base_url)
                        : doc->Set(base_url, TrimSuffix(slot.base_url, "/v1")));
  }
  for (const Status& step : steps) {
    if (!step) return std::unexpected(EditFailure(file, step.error().message));
  }

  const std::string_view sent = request.via_gateway ? "the gateway token" : "apiKeyHelper's key";
  if (had_api_key) {
    plan.warnings.push_back(file.string() + " also sets env.ANTHROPIC_API_KEY, which Claude Code " +
                            "may send instead of " + std::string(sent));
  }
  if (had_auth_token && !request.via_gateway) {
    plan.warnings.push_back(file.string() + " also sets env.ANTHROPIC_AUTH_TOKEN, which Claude " +
                            "Code may send instead of " + std::string(sent));
  }
  plan.files.push_back({file, std::move(*before), doc->text(), /*secret=*/request.via_gateway});
  plan.notes.push_back(request.via_gateway
                           ? "restart Claude Code"
                           : "restart Claude Code; it runs the helper again every "
                             "CLAUDE_CODE_API_KEY_HELPER_TTL_MS (default 5 minutes) and after a "
                             "401");
  return plan;
}

}  // namespace keywarden::cli::exporting
