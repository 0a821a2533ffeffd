// keywarden providers [--json]
#include <memory>

#include "command.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {

void RegisterProviders(CLI::App& app, const Globals& globals, Runner* run) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd =
      app.add_subcommand("providers", "the providers, endpoints and env vars keywarden knows");
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([json, &globals, run] {
    *run = [json, &globals] {
      const bool as_json = *json || globals.json;
      return CallAndPrint<ProvidersParams>(
          globals, {}, false, [as_json](const ProvidersResult&, const Json& raw) {
            as_json ? PrintJson(raw["providers"]) : PrintProviders(raw["providers"]);
          });
    };
  });
}

}  // namespace keywarden::cli
