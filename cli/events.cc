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
  cmd->add_option("ref", o->ref, "only this slot (ENV/NAME)")->check(RefSyntax());
  cmd->add_option("--since", o->since, "only events newer than this, e.g. 24h")
      ->check(DurationSyntax());
  cmd->add_flag("--json", o->json, "print a JSON array");
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] {
    *run = [o, &globals] {
      EventsParams params;
      if (!o->ref.empty()) params.ref = o->ref;
      if (!o->since.empty()) params.since = o->since;
      Result<std::optional<uint32_t>> owner = OwnerUid(o->owner);
      if (!owner) return Report(owner.error());
      params.owner = *owner;
      const bool json = o->json || globals.json;
      return CallAndPrint<EventsParams>(
          globals, params, false, [json](const EventsResult&, const Json& raw) {
            json ? PrintJson(raw["events"]) : PrintEvents(raw["events"]);
          });
    };
  });
}

}  // namespace keywarden::cli
