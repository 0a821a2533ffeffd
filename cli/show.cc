// keywarden show ENV/NAME [--json]
#include <memory>

#include "command.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {

void RegisterShow(CLI::App& app, const Globals& globals, Runner* run) {
  struct Options {
    std::string ref;
    std::string owner;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("show", "show a slot: versions, checks and diagnoses");
  cmd->add_option("ref", o->ref, "ENV/NAME")->required()->check(RefSyntax());
  cmd->add_flag("--json", o->json, "print the slot as JSON");
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] {
    *run = [o, &globals] {
      Result<std::optional<uint32_t>> owner = OwnerUid(o->owner);
      if (!owner) return Report(owner.error());
      const bool json = o->json || globals.json;
      return CallAndPrint<ShowSlotParams>(globals, {o->ref, *owner}, false,
                                          [json](const SlotResult& r, const Json& raw) {
                                            json ? PrintJson(raw["slot"]) : PrintSlotDetail(r.slot);
                                          });
    };
  });
}

}  // namespace keywarden::cli
