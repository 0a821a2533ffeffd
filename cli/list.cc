// keywarden list [--env ENV] [--json]
#include <memory>

#include "command.h"
#include "output.h"

namespace keywarden::cli {

void RegisterList(CLI::App& app, const Globals& globals, Runner* run) {
  struct Options {
    std::string env;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("list", "list slots and their state");
  cmd->add_option("--env", o->env, "only this environment");
  cmd->add_flag("--json", o->json, "print a JSON array of slots");
  cmd->callback([o, &globals, run] {
    *run = [o, &globals] {
      Json params = Json::object();
      if (!o->env.empty()) params["env"] = o->env;
      // --json prints the bare array, the shape DESIGN.md gives for list.
      return CallAndPrint(globals, "slot.list", params, false, [o](const Json& r) {
        o->json ? PrintJson(r["slots"]) : PrintSlotTable(r["slots"]);
      });
    };
  });
}

}  // namespace keywarden::cli
