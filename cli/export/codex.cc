// --to codex: a provider [model_providers.keywarden-ENV-NAME] in
// ~/.codex/config.toml whose [….auth] command runs `keywarden get ENV/NAME`
// (Codex's command-backed bearer token), so no secret is written to disk;
// `model` and `model_provider` select it. Codex speaks only the Responses
// API ("chat" wire_api is rejected since 0.16x), so only OpenAI, OpenRouter
// and OpenAI-compatible keys qualify. Via the gateway, the provider's
// base_url is the gateway's and its experimental_bearer_token the token
// (the file is then a secret: 0600), with no auth command.
// reference/ide-configs.md §4.
#include "export/atomic_file.h"
#include "export/common.h"
#include "export/toml_edit.h"

namespace keywarden::cli::exporting {
namespace fs = std::filesystem;

Result<Plan> PlanCodex(const Request& request) {
  const Slot& slot = *request.slot;
  if (slot.provider != "openai" && slot.provider != "openrouter" &&
      slot.provider != "openai-compatible") {
    return std::unexpected(
        UnsupportedProvider("codex", slot, "openai, openrouter and openai-compatible"));
  }
  const fs::path file =
      TargetPath(request, DirFromEnv("CODEX_HOME", HomeDir() / ".codex") / "config.toml");
  Result<std::optional<std::string>> before = ReadIfExists(file);
  if (!before) return std::unexpected(before.error());

  const std::string id = EntryName(slot);
  OrderedJson args = OrderedJson::array();
  for (size_t i = 1; i < request.get_command.size(); ++i) args.push_back(request.get_command[i]);
  OrderedJson auth = {{"command", request.get_command.front()},
                      {"args", args},
                      {"timeout_ms", 5000},
                      {"refresh_interval_ms", 300000}};
  // A provider of our own always names its base URL: Codex has no default
  // for it.
  OrderedJson provider = {
      {"name", "keywarden " + slot.ref}, {"base_url", slot.base_url}, {"wire_api", "responses"}};
  if (request.via_gateway) {
    provider["experimental_bearer_token"] = std::string(slot.secret.view());
  } else {
    provider["auth"] = auth;
  }
  OrderedJson top = {{"model", request.model}, {"model_provider", id}};
  Result<TomlEdit> edit = UpsertToml(before->value_or(""), top, {"model_providers", id}, provider);
  if (!edit) return std::unexpected(FileFailure(file, edit.error()));

  Plan plan;
  if (edit->formatting_lost) {
    plan.warnings.push_back(
        file.string() + " was rewritten whole (its " + id +
        " provider is not written as [tables]): comments and layout were not kept; "
        "the previous file is " +
        BackupPath(ReplacedFile(file), request.backup_dir).string());
  }
  plan.files.push_back(
      {file, std::move(*before), std::move(edit->text), /*secret=*/request.via_gateway});
  plan.notes.push_back(request.via_gateway
                           ? "start a new `codex` session"
                           : "start a new `codex` session; it runs the auth command again every "
                             "5 minutes");
  return plan;
}

}  // namespace keywarden::cli::exporting
