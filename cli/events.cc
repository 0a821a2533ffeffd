// keywarden events [ENV/NAME] [--since DUR] [--json]
#include <memory>

#include "command.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {

void RegisterEvents(CLI::App& app, const Globals& globals, Runner* run) {
  struct Options {
    std::string ref, since, owner;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("events", "the audit trail: who did what to which key");
  cmd->add_option("ref", o->ref, "only this slot (ENV/NAME)");
  cmd->add_option("--since", o->since, "only events newer than this, e.g. 24h");
  cmd->add_flag("--json", o->json, "print a JSON array");
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] {
    *run = [o, &globals] {
      Json params = Json::object();
      if (!o->ref.empty()) params["ref"] = o->ref;
      if (!o->since.empty()) params["since"] = o->since;
      if (Status s = SetOwner(params, o->owner); !s) return Report(s.error());
      return CallAndPrint(
          globals, "events.list", params, false, {{"events", Kind::kArray}}, [o](const Json& r) {
            o->json ? PrintJson(Member(r, "events")) : PrintEvents(Member(r, "events"));
          });
    };
  });
}

}  // namespace keywarden::cli
