// keywarden status [--json]
#include <memory>

#include "command.h"
#include "output.h"

namespace keywarden::cli {

void RegisterStatus(CLI::App& app, const Globals& globals, Runner* run) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("status", "the daemon's state, slot counts, next check");
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([json, &globals, run] {
    *run = [json, &globals] {
      return CallAndPrint<StatusParams>(
          globals, {}, *json || globals.json,
          [](const StatusResult&, const Json& raw) { PrintStatus(raw); });
    };
  });
}

}  // namespace keywarden::cli
