// keywarden rm ENV/NAME [--yes] [--json] (aliases: remove, delete)
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "command.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {
namespace {

struct RemoveOptions {
  std::string ref, owner;
  bool yes = false, json = false;
};

// What stops working when the slot goes, for the confirmation.
Result<std::string> DescribeRemoval(const Globals& globals, const std::string& ref,
                                    std::optional<uint32_t> owner) {
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return std::unexpected(client.error());
  Result<SlotResult> shown = CallTyped(*client, ShowSlotParams{ref, owner});
  if (!shown) return std::unexpected(shown.error());
  const SlotObject& slot = shown->slot;
  const size_t count = slot.versions.size();
  std::string text = fmt::format("{}: rm destroys the slot and its {} version{} of the key",
                                 slot.ref, count, count == 1 ? "" : "s");
  if (slot.usable && slot.current_version) {
    text += fmt::format(
        "; version {} is served now, and `keywarden get {}` and the tools using it will fail",
        *slot.current_version, slot.ref);
  }
  return text + ".";
}

int RunRemove(const RemoveOptions& o, const Globals& globals) {
  Result<std::optional<uint32_t>> uid = OwnerUid(o.owner);
  if (!uid) return Report(uid.error());
  if (std::optional<int> stop =
          Confirm(o.yes, "rm", "Remove?", [&] { return DescribeRemoval(globals, o.ref, *uid); })) {
    return *stop;
  }
  const bool json = o.json || globals.json;
  return CallAndPrint<RemoveSlotParams>(globals, {o.ref, *uid}, false,
                                        [json](const RemoveSlotResult& r, const Json&) {
                                          if (json) {
                                            PrintJson({{"ref", r.removed}, {"removed", true}});
                                          } else {
                                            std::cout << "removed " << r.removed << "\n";
                                          }
                                        });
}

}  // namespace

void RegisterRemove(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<RemoveOptions>();
  CLI::App* cmd = app.add_subcommand("rm", "delete a slot and every version of its key");
  cmd->alias("remove");
  cmd->alias("delete");
  cmd->add_option("ref", o->ref, "ENV/NAME")->required()->check(RefSyntax());
  AddYesOption(cmd, &o->yes);
  cmd->add_flag("--json", o->json, R"(print {"ref": …, "removed": true})");
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunRemove(*o, globals); }; });
}

}  // namespace keywarden::cli
