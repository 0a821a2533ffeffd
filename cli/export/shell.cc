// --to shell: `export PROVIDER_API_KEY='…'` on stdout, for
// `eval "$(keywarden export ENV/NAME --to shell)"`. Nothing is written.
#include "export/common.h"

namespace keywarden::cli::exporting {

Result<Plan> PlanShell(const Request& request) {
  const Slot& slot = *request.slot;
  Plan plan;
  plan.stdout_text = "export " + slot.env_var + "=" + ShellQuote(slot.secret.view()) + "\n";
  return plan;
}

}  // namespace keywarden::cli::exporting
