// keywarden set ENV/NAME [--models M[,M…] | --add-model M | --drop-model M]
//                        [--endpoint E|URL] [--probe MODE] [--rotate-every DUR]
//                        [--remind-before DUR] [--grace DUR] [--json]
// Edits a slot in place: its versions and events are kept. A change of
// what a check probes re-checks the current version while it is served.
#include <iostream>
#include <memory>

#include "command.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {
namespace {

struct SetOptions {
  std::string ref, owner;
  std::vector<std::string> models;
  std::string add_model, drop_model, endpoint, probe, rotate_every, remind_before, grace;
  bool json = false;
};

int RunSet(const SetOptions& o, const Globals& globals) {
  SetSlotParams params;
  params.ref = o.ref;
  // An option not given is not sent: the slot keeps that setting.
  auto optional = [](const std::string& text) {
    return text.empty() ? std::nullopt : std::optional<std::string>(text);
  };
  if (!o.models.empty()) params.models = o.models;
  params.add_model = optional(o.add_model);
  params.drop_model = optional(o.drop_model);
  params.endpoint = optional(o.endpoint);
  params.probe = optional(o.probe);
  params.rotate_every = optional(o.rotate_every);
  params.remind_before = optional(o.remind_before);
  params.grace = optional(o.grace);
  if (!params.models && !params.add_model && !params.drop_model && !params.endpoint &&
      !params.probe && !params.rotate_every && !params.remind_before && !params.grace) {
    PrintError("nothing to change",
               "name what to change: --models, --add-model, --drop-model, --endpoint, --probe, "
               "--rotate-every, --remind-before or --grace");
    return kExitUsage;
  }
  Result<std::optional<uint32_t>> owner = OwnerUid(o.owner);
  if (!owner) return Report(owner.error());
  params.owner = *owner;
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  Json raw;
  Result<SetSlotResult> result = CallTyped(*client, params, &raw);
  if (!result) {
    // The daemon's `conflict` here is a change the slot already has: a
    // usage error, like an empty one.
    int code = Report(result.error());
    return result.error().code == ErrorCode::kConflict ? kExitUsage : code;
  }
  if (o.json || globals.json) {
    PrintJson(raw["slot"]);
    return kExitOk;
  }
  const std::string& ref = result->slot.ref;
  for (const SlotSettingChange& c : result->changes) {
    std::cout << "set " << ref << " " << c.field << ": " << c.from << " -> " << c.to << "\n";
  }
  if (!result->rechecking.empty()) {
    std::string numbers;
    for (int64_t n : result->rechecking)
      numbers += (numbers.empty() ? "" : ", ") + std::to_string(n);
    std::cout << "re-checking version " << numbers << " now";
    if (result->slot.current_version) {
      std::cout << "; version " << *result->slot.current_version << " is served meanwhile";
    }
    std::cout << " (`keywarden validate " << ref << " --wait` waits for the outcome)\n";
  }
  std::cout << "\n";
  PrintSlotDetail(result->slot);
  return kExitOk;
}

}  // namespace

void RegisterSet(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<SetOptions>();
  CLI::App* cmd = app.add_subcommand(
      "set", "change a slot's models, endpoint, probe or rotation policy in place");
  cmd->add_option("ref", o->ref, "ENV/NAME")->required()->check(RefSyntax());
  CLI::Option* models =
      cmd->add_option("--models", o->models, "the whole new list of models")->delimiter(',');
  CLI::Option* add = cmd->add_option("--add-model", o->add_model, "add one model");
  CLI::Option* drop = cmd->add_option("--drop-model", o->drop_model, "drop one model");
  models->excludes(add)->excludes(drop);
  add->excludes(drop);
  cmd->add_option("--endpoint", o->endpoint, "a named endpoint (e.g. codestral) or a base URL");
  cmd->add_option("--probe", o->probe, "complete or list (free calls only)")
      ->check(CLI::IsMember({"complete", "list"}));
  cmd->add_option("--rotate-every", o->rotate_every, "rotation period, e.g. 90d");
  cmd->add_option("--remind-before", o->remind_before, "remind this long before rotation is due");
  cmd->add_option("--grace", o->grace, "keep a replaced key this long for rollback");
  cmd->add_flag("--json", o->json, "print the slot as JSON");
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunSet(*o, globals); }; });
}

}  // namespace keywarden::cli
