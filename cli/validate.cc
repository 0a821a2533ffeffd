// keywarden validate [ENV/NAME…|--all] [--wait] [--json]
#include <iostream>
#include <memory>

#include "command.h"
#include "output.h"

namespace keywarden::cli {
namespace {

struct ValidateOptions {
  std::vector<std::string> refs;
  std::string owner;
  bool all = false, wait = false, json = false;
  std::string timeout = "5m";
};

int RunValidate(const ValidateOptions& o, const Globals& globals) {
  if (o.refs.empty() == !o.all) {
    PrintError("name the slots to validate, or give --all, but not both");
    return kExitUsage;
  }
  std::optional<std::chrono::seconds> timeout = ParseTimeout(o.timeout);
  if (!timeout) {
    PrintError("--timeout: expected a duration like 90s or 5m");
    return kExitUsage;
  }
  Result<Client> client = ConnectDaemon(globals, *timeout);
  if (!client) return Report(client.error());
  ValidateParams params;
  params.wait = o.wait;
  params.all = o.all;
  if (!o.all) params.refs = o.refs;
  Result<std::optional<uint32_t>> owner = OwnerUid(o.owner);
  if (!owner) return Report(owner.error());
  params.owner = *owner;
  Json raw;
  Result<ValidateResult> result = CallTyped(*client, params, &raw);
  if (!result) return Report(result.error());
  const std::vector<SlotObject>& slots = result->slots;
  if (o.json || globals.json) {
    PrintJson(raw["slots"]);
  } else if (!o.wait) {
    for (const SlotObject& s : slots) std::cout << "validation of " << s.ref << " scheduled\n";
    return kExitOk;
  } else {
    PrintSlotTable(slots);
    for (const SlotObject& s : slots) {
      for (const Diagnosis& d : s.diagnoses) {
        std::cout << s.ref << ": " << d.code << ": " << d.message << "\n";
      }
    }
  }
  if (!o.wait) return kExitOk;
  for (const SlotObject& s : slots) {
    if (!s.usable) return kExitNotUsable;
  }
  return kExitOk;
}

}  // namespace

void RegisterValidate(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<ValidateOptions>();
  CLI::App* cmd = app.add_subcommand("validate", "probe keys against their models now");
  cmd->add_option("refs", o->refs, "ENV/NAME …")->check(RefSyntax());
  cmd->add_flag("--all", o->all, "every slot you can see");
  cmd->add_flag("--wait", o->wait, "wait for the results (exit 3 if any slot is not usable)");
  cmd->add_option("--timeout", o->timeout, "give up waiting after this long (default 5m)");
  cmd->add_flag("--json", o->json, "print the slots as JSON");
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunValidate(*o, globals); }; });
}

}  // namespace keywarden::cli
