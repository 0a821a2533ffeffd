// --to dotenv: PROVIDER_API_KEY=… (the slot's variable) in --path, by
// default ./.env; every other line stays. Via the gateway, the key
// variable holds the token and PROVIDER_BASE_URL (BaseUrlVar) the
// gateway's URL. The file ends 0600; a project
// directory is not locked down, only warned about.
#include "export/atomic_file.h"
#include "export/common.h"
#include "export/dotenv_file.h"

namespace keywarden::cli::exporting {

Result<Plan> PlanDotenv(const Request& request) {
  const Slot& slot = *request.slot;
  const std::filesystem::path file = TargetPath(request, ".env");
  Result<std::optional<std::string>> before = ReadIfExists(file);
  if (!before) return std::unexpected(before.error());
  std::vector<DotenvEdit> edits = {{slot.env_var, std::string(slot.secret.view())}};
  if (request.via_gateway) edits.push_back({BaseUrlVar(slot), slot.base_url});
  Result<std::string> after = EditDotenv(before->value_or(""), edits);
  if (!after) return std::unexpected(ParseFailure(file, after.error().message));
  Plan plan;
  plan.files.push_back(
      {file, std::move(*before), std::move(*after), /*secret=*/true, DotenvField(slot.env_var)});
  plan.notes.push_back("keep " + file.string() + " out of version control (.gitignore)");
  return plan;
}

}  // namespace keywarden::cli::exporting
