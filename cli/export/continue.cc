// --to continue: a model named keywarden-ENV-NAME in Continue's
// ~/.continue/config.yaml whose apiKey is `${{ secrets.KEYWARDEN_ENV_NAME }}`,
// and that variable in ~/.continue/.env, the first place Continue looks for
// secrets (so no Hub call). Shared by the VS Code and JetBrains extensions
// and the `cn` CLI. reference/ide-configs.md §3.
#include "export/atomic_file.h"
#include "export/common.h"
#include "export/dotenv_file.h"
#include "export/yaml_edit.h"

namespace keywarden::cli::exporting {
namespace fs = std::filesystem;
namespace {

OrderedJson ModelEntry(const Request& request, const std::string& var) {
  const Slot& slot = *request.slot;
  const bool compatible = slot.provider == "openai-compatible";
  OrderedJson model = OrderedJson::object();
  model["name"] = EntryName(slot);
  model["provider"] = compatible ? "openai" : slot.provider;
  model["model"] = request.model;
  model["apiKey"] = "${{ secrets." + var + " }}";
  // Continue's Mistral client sends any model named *codestral* to
  // codestral.mistral.ai unless apiBase says otherwise, so a non-default
  // endpoint is always spelled out.
  if (compatible || !IsDefaultEndpoint(slot)) model["apiBase"] = slot.base_url;
  OrderedJson roles = {"chat", "edit", "apply"};
  if (request.model.find("codestral") != std::string::npos) roles.push_back("autocomplete");
  model["roles"] = roles;
  return model;
}

}  // namespace

Result<Plan> PlanContinue(const Request& request) {
  const Slot& slot = *request.slot;
  const fs::path dir = DirFromEnv("CONTINUE_GLOBAL_DIR", HomeDir() / ".continue");
  const fs::path config = TargetPath(request, dir / "config.yaml");
  const fs::path env_file = dir / ".env";
  const std::string var = SlotVarName(slot);

  Result<std::optional<std::string>> env_before = ReadIfExists(env_file);
  if (!env_before) return std::unexpected(env_before.error());
  Result<std::string> env_after =
      EditDotenv(env_before->value_or(""), {{var, std::string(slot.secret.view())}});
  if (!env_after) return std::unexpected(ParseFailure(env_file, env_after.error().message));

  Result<std::optional<std::string>> before = ReadIfExists(config);
  if (!before) return std::unexpected(before.error());
  OrderedJson skeleton = {{"name", "Local Config"}, {"version", "1.0.0"}, {"schema", "v1"}};
  Result<YamlEdit> edit = UpsertYamlListItem(before->value_or(""), "models", "name",
                                             ModelEntry(request, var), skeleton);
  if (!edit) return std::unexpected(FileFailure(config, edit.error()));

  Plan plan;
  plan.files.push_back(
      {env_file, std::move(*env_before), std::move(*env_after), /*secret=*/true, DotenvField(var)});
  plan.files.push_back({config, std::move(*before), std::move(edit->text), /*secret=*/false});
  if (edit->formatting_lost) {
    plan.warnings.push_back(
        config.string() +
        " was rewritten whole (its `models` list is in flow style): comments and "
        "layout were not kept; the previous file is " +
        BackupPath(ReplacedFile(config), request.backup_dir).string());
  }
  plan.notes.push_back("Continue picks up config.yaml changes by itself; restart `cn` sessions");
  return plan;
}

}  // namespace keywarden::cli::exporting
