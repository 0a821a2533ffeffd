// keywarden rotate ENV/NAME [--wait]: the new key becomes the pending
// version; the current one is served until the new one verifies.
#include <iostream>
#include <memory>

#include "command.h"
#include "copies.h"
#include "output.h"
#include "reply.h"
#include "secret_input.h"

namespace keywarden::cli {
namespace {

struct RotateOptions {
  std::string ref;
  std::string owner;
  bool wait = false, json = false, no_sync = false;
  std::string timeout;  // empty: DefaultWaitTimeout of the provider
};

int RunRotate(const RotateOptions& o, const Globals& globals) {
  // Empty: the default of the slot's provider, known once the slot is.
  std::optional<std::chrono::seconds> timeout;
  if (!o.timeout.empty()) timeout = ParseTimeout(o.timeout);
  if (!o.timeout.empty() && !timeout) {
    PrintError("--timeout: expected a duration like 90s or 5m");
    return kExitUsage;
  }
  Result<std::optional<uint32_t>> owner = OwnerUid(o.owner);
  if (!owner) return Report(owner.error());
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  Result<SecretBuffer> secret = ReadSecret("new API key for " + o.ref + " (input hidden): ");
  if (!secret) return Report(secret.error());
  Json raw;
  Result<RotateResult> result =
      CallTyped(*client, RotateParams{o.ref, std::move(*secret), *owner}, &raw);
  if (!result) return Report(result.error());
  PrintWarnings(result->warnings);
  const std::string ref = result->slot.ref;
  const int version = static_cast<int>(result->version);
  if (o.wait) {
    const int settled = WaitUntilSettled(*client, ref, timeout, version, *owner);
    // The new key is current: its copies follow (docs/copies.md). Another
    // owner's copies are theirs to sync.
    if (settled != kExitOk || o.no_sync || *owner) return settled;
    return SyncCopies(*client, globals, {.refs = {ref}, .quiet_when_clean = true});
  }
  if (o.json || globals.json) {
    PrintJson(raw["slot"]);
  } else {
    std::cout << "added version " << version << " of " << ref
              << ", pending validation; the current version is served until it verifies\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterRotate(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<RotateOptions>();
  CLI::App* cmd = app.add_subcommand("rotate", "replace a slot's key with zero downtime");
  cmd->add_option("ref", o->ref, "ENV/NAME")->required()->check(RefSyntax());
  cmd->add_flag("--wait", o->wait, "wait until the new key is verified or fails");
  cmd->add_option("--timeout", o->timeout,
                  "give up waiting after this long (default: the provider's activation window plus "
                  "1m, at least 2m)");
  cmd->add_flag("--no-sync", o->no_sync,
                "with --wait, leave the copies of exported keys as they are (keywarden sync)");
  cmd->add_flag("--json", o->json, "print the slot as JSON");
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunRotate(*o, globals); }; });
}

}  // namespace keywarden::cli
