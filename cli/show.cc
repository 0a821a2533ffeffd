// keywarden show ENV/NAME [--json]
#include <memory>

#include "command.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {

void RegisterShow(CLI::App& app, const Globals& globals, Runner* run) {
  struct Options {
    std::string ref;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("show", "show a slot: versions, checks and diagnoses");
  cmd->add_option("ref", o->ref, "ENV/NAME")->required();
  cmd->add_flag("--json", o->json, "print the slot as JSON");
  cmd->callback([o, &globals, run] {
    *run = [o, &globals] {
      return CallAndPrint(globals, "slot.show", {{"ref", o->ref}}, false,
                          {{"slot", Kind::kObject}}, [o](const Json& r) {
        o->json ? PrintJson(Member(r, "slot")) : PrintSlotDetail(Member(r, "slot"));
      });
    };
  });
}

}  // namespace keywarden::cli
