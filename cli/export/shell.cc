// --to shell: `export PROVIDER_API_KEY='…'` on stdout, for
// `eval "$(keywarden export ENV/NAME --to shell)"`. Nothing is written.
// Via the gateway: the token in the key variable, and the gateway's URL in
// the base-URL variable (BaseUrlVar) before it.
#include "export/common.h"

namespace keywarden::cli::exporting {

Result<Plan> PlanShell(const Request& request) {
  const Slot& slot = *request.slot;
  Plan plan;
  if (request.via_gateway) {
    plan.stdout_text = "export " + BaseUrlVar(slot) + "=" + ShellQuote(slot.base_url) + "\n";
  }
  plan.stdout_text += "export " + slot.env_var + "=" + ShellQuote(slot.secret.view()) + "\n";
  return plan;
}

}  // namespace keywarden::cli::exporting
