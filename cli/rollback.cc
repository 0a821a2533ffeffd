// keywarden rollback ENV/NAME and keywarden revoke ENV/NAME [--version N].
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "command.h"
#include "copies.h"
#include "keywarden/providers.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {
namespace {

struct RevokeOptions {
  std::string ref, owner;
  int version = 0;
  bool yes = false, json = false;
};

// What stops working when the version goes, for the confirmation.
Result<std::string> DescribeRevoke(const Globals& globals, const RevokeOptions& o,
                                   std::optional<uint32_t> owner) {
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return std::unexpected(client.error());
  Result<SlotResult> shown = CallTyped(*client, ShowSlotParams{o.ref, owner});
  if (!shown) return std::unexpected(shown.error());
  const SlotObject& slot = shown->slot;
  const std::optional<int> target =
      o.version > 0 ? std::optional<int>(o.version) : slot.current_version;
  if (!target) {
    return fmt::format("{}: no version is served now; the daemon names what it would revoke",
                       slot.ref);
  }
  if (target == slot.current_version && slot.usable) {
    std::string text =
        fmt::format("{}: version {} is the only usable version; tools using it will get 401s",
                    slot.ref, *target);
    if (slot.pending_version) {
      text += fmt::format(" until version {} verifies", *slot.pending_version);
    }
    return text + ".";
  }
  const VersionObject* version = slot.FindVersion(*target);
  const std::string state = version ? std::string(VersionStateName(version->state)) : "?";
  return fmt::format("{}: version {} ({}) is not served now; revoking destroys it for good.",
                     slot.ref, *target, state);
}

// Where the revoked key still works, and where to delete it.
void PrintProviderReminder(const SlotObject& slot) {
  const std::string& provider = slot.provider;
  const ProviderInfo* info = Catalogue::Builtin().Find(provider);
  const std::string name = info != nullptr ? info->display_name : provider;
  if (info != nullptr && !info->console_url.empty()) {
    PrintHint(fmt::format("the key still works at {} until you delete it there: {}", name,
                          info->console_url));
  } else {
    PrintHint(fmt::format(
        "the key still works at the provider until you delete it in your provider's console"));
  }
}

int RunRevoke(const RevokeOptions& o, const Globals& globals) {
  Result<std::optional<uint32_t>> owner = OwnerUid(o.owner);
  if (!owner) return Report(owner.error());
  if (std::optional<int> stop =
          Confirm(o.yes, "revoke", "Revoke?", [&] { return DescribeRevoke(globals, o, *owner); })) {
    return *stop;
  }
  RevokeParams params{o.ref, std::nullopt, *owner};
  if (o.version > 0) params.version = o.version;
  const bool json = o.json || globals.json;
  return CallAndPrint<RevokeParams>(
      globals, params, false, [json](const VersionResult& r, const Json& raw) {
        if (json) {
          PrintJson(raw["slot"]);
        } else {
          std::cout << "revoked version " << r.version << " of " << r.slot.ref << "\n";
        }
        PrintProviderReminder(r.slot);
      });
}

}  // namespace

void RegisterRollback(CLI::App& app, const Globals& globals, Runner* run) {
  struct Options {
    std::string ref;
    std::string owner;
    bool wait = false, json = false, no_sync = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "rollback", "serve the previous key again (re-checked first; only within its grace)");
  cmd->add_option("ref", o->ref, "ENV/NAME")->required()->check(RefSyntax());
  cmd->add_flag("--wait", o->wait, "wait until the previous key is verified again");
  cmd->add_flag("--no-sync", o->no_sync,
                "with --wait, leave the copies of exported keys as they are (keywarden sync)");
  cmd->add_flag("--json", o->json, "print the slot as JSON (as show --json)");
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] {
    *run = [o, &globals] {
      Result<std::optional<uint32_t>> owner = OwnerUid(o->owner);
      if (!owner) return Report(owner.error());
      Result<Client> client = ConnectDaemon(globals);
      if (!client) return Report(client.error());
      Json raw;
      Result<VersionResult> r = CallTyped(*client, RollbackParams{o->ref, *owner}, &raw);
      if (!r) return Report(r.error());
      const std::string ref = r->slot.ref;
      const int version = static_cast<int>(r->version);
      if (o->wait) {
        const int settled = WaitUntilSettled(*client, ref, std::nullopt, version, *owner);
        if (settled != kExitOk || o->no_sync || *owner) return settled;
        return SyncCopies(*client, globals, {.refs = {ref}, .quiet_when_clean = true});
      }
      if (o->json || globals.json) {
        PrintJson(raw["slot"]);
        return static_cast<int>(kExitOk);
      }
      std::cout << "version " << version << " of " << ref
                << " is being re-checked; it is served again once verified\n";
      return static_cast<int>(kExitOk);
    };
  });
}

void RegisterRevoke(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<RevokeOptions>();
  CLI::App* cmd = app.add_subcommand("revoke", "stop serving a version at once and destroy it");
  cmd->add_option("ref", o->ref, "ENV/NAME")->required()->check(RefSyntax());
  cmd->add_option("--version", o->version, "the version (default: the current one)")
      ->check(CLI::PositiveNumber);
  AddYesOption(cmd, &o->yes);
  cmd->add_flag("--json", o->json, "print the slot as JSON (as show --json)");
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunRevoke(*o, globals); }; });
}

}  // namespace keywarden::cli
