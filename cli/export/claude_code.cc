// --to claude-code: `apiKeyHelper` in ~/.claude/settings.json runs
// `keywarden get ENV/NAME`, so no secret is written to disk and a rotation
// reaches Claude Code on its next helper call. Claude Code speaks only
// Anthropic's Messages API: Anthropic keys, or OpenRouter through its
// Anthropic-compatible route. reference/ide-configs.md §4.
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
  Status steps[] = {
      doc->Set({"apiKeyHelper"}, ShellCommand(request.get_command)),
      doc->Set({"model"}, request.model),
      slot.provider == "anthropic" && IsDefaultEndpoint(slot)
          ? doc->Remove(base_url)
          : doc->Set(base_url, TrimSuffix(slot.base_url, "/v1")),
  };
  for (const Status& step : steps) {
    if (!step) return std::unexpected(EditFailure(file, step.error().message));
  }

  Plan plan;
  const OrderedJson& env = doc->value().contains("env") ? doc->value()["env"] : OrderedJson();
  for (const char* var : {"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"}) {
    if (env.is_object() && env.contains(var)) {
      plan.warnings.push_back(file.string() + " also sets env." + var +
                              ", which Claude Code may send instead of apiKeyHelper's key");
    }
  }
  plan.files.push_back({file, std::move(*before), doc->text(), /*secret=*/false});
  plan.notes.push_back(
      "restart Claude Code; it runs the helper again every "
      "CLAUDE_CODE_API_KEY_HELPER_TTL_MS (default 5 minutes) and after a 401");
  return plan;
}

}  // namespace keywarden::cli::exporting
