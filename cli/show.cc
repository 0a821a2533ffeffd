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
  cmd->add_option("ref", o->ref, "ENV/NAME")->required();
  cmd->add_flag("--json", o->json, "print the slot as JSON");
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] {
    *run = [o, &globals] {
      Json params = {{"ref", o->ref}};
      if (Status s = SetOwner(params, o->owner); !s) return Report(s.error());
      return CallAndPrint(
          globals, "slot.show", params, false, {{"slot", Kind::kObject}}, [o](const Json& r) {
            o->json ? PrintJson(Member(r, "slot")) : PrintSlotDetail(Member(r, "slot"));
          });
    };
  });
}

}  // namespace keywarden::cli
