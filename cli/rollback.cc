// keywarden rollback ENV/NAME and keywarden revoke ENV/NAME [--version N].
#include <iostream>
#include <memory>

#include "command.h"
#include "output.h"
#include "reply.h"

namespace keywarden::cli {

void RegisterRollback(CLI::App& app, const Globals& globals, Runner* run) {
  struct Options {
    std::string ref;
    std::string owner;
    bool wait = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "rollback", "serve the previous key again (re-checked first; only within its grace)");
  cmd->add_option("ref", o->ref, "ENV/NAME")->required();
  cmd->add_flag("--wait", o->wait, "wait until the previous key is verified again");
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] {
    *run = [o, &globals] {
      Result<std::optional<uint32_t>> owner = OwnerUid(o->owner);
      if (!owner) return Report(owner.error());
      Result<Client> client = ConnectDaemon(globals);
      if (!client) return Report(client.error());
      Result<VersionResult> r = CallTyped(*client, RollbackParams{o->ref, *owner});
      if (!r) return Report(r.error());
      const std::string ref = r->slot["ref"].get<std::string>();
      const int version = static_cast<int>(r->version);
      if (o->wait) return WaitUntilSettled(*client, ref, std::nullopt, version, *owner);
      std::cout << "version " << version << " of " << ref
                << " is being re-checked; it is served again once verified\n";
      return static_cast<int>(kExitOk);
    };
  });
}

void RegisterRevoke(CLI::App& app, const Globals& globals, Runner* run) {
  struct Options {
    std::string ref;
    std::string owner;
    int version = 0;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("revoke", "stop serving a version at once and destroy it");
  cmd->add_option("ref", o->ref, "ENV/NAME")->required();
  cmd->add_option("--version", o->version, "the version (default: the current one)")
      ->check(CLI::PositiveNumber);
  AddOwnerOption(cmd, &o->owner);
  cmd->callback([o, &globals, run] {
    *run = [o, &globals] {
      RevokeParams params{o->ref, std::nullopt, std::nullopt};
      if (o->version > 0) params.version = o->version;
      Result<std::optional<uint32_t>> owner = OwnerUid(o->owner);
      if (!owner) return Report(owner.error());
      params.owner = *owner;
      return CallAndPrint<RevokeParams>(
          globals, params, false, [](const VersionResult& r, const Json&) {
            std::cout << "revoked version " << r.version << " of " << Text(r.slot["ref"]) << "\n";
          });
    };
  });
}

}  // namespace keywarden::cli
