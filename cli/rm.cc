// keywarden rm ENV/NAME
#include <iostream>
#include <memory>

#include "command.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {

void RegisterRemove(CLI::App& app, const Globals& globals, Runner* run) {
  auto ref = std::make_shared<std::string>();
  auto owner = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("rm", "delete a slot and every version of its key");
  cmd->add_option("ref", *ref, "ENV/NAME")->required();
  AddOwnerOption(cmd, owner.get());
  cmd->callback([ref, owner, &globals, run] {
    *run = [ref, owner, &globals] {
      Json params = {{"ref", *ref}};
      if (Status s = SetOwner(params, *owner); !s) return Report(s.error());
      return CallAndPrint(
          globals, "slot.rm", params, false, {{"removed", Kind::kString}},
          [](const Json& r) { std::cout << "removed " << Text(Member(r, "removed")) << "\n"; });
    };
  });
}

}  // namespace keywarden::cli
