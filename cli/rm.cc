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
      Result<std::optional<uint32_t>> uid = OwnerUid(*owner);
      if (!uid) return Report(uid.error());
      return CallAndPrint<RemoveSlotParams>(globals, {*ref, *uid}, false,
                                            [](const RemoveSlotResult& r, const Json&) {
                                              std::cout << "removed " << r.removed << "\n";
                                            });
    };
  });
}

}  // namespace keywarden::cli
