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
      Json params = {{"ref", o->ref}};
      if (Status s = SetOwner(params, o->owner); !s) return Report(s.error());
      Result<Client> client = ConnectDaemon(globals);
      if (!client) return Report(client.error());
      Result<Json> r = client->Call("slot.rollback", params);
      if (!r) return Report(r.error());
      if (!HasShape(*r, {{"slot.ref", Kind::kString}, {"version", Kind::kInteger}})) {
        return ReportUnexpectedReply();
      }
      const std::string ref = (*r)["slot"]["ref"].get<std::string>();
      const int version = (*r)["version"].get<int>();
      if (o->wait) {
        return WaitUntilSettled(*client, ref, std::chrono::minutes(2), version,
                                params.value("owner", Json()));
      }
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
      Json params = {{"ref", o->ref}};
      if (o->version > 0) params["version"] = o->version;
      if (Status s = SetOwner(params, o->owner); !s) return Report(s.error());
      return CallAndPrint(globals, "slot.revoke", params, false,
                          {{"slot.ref", Kind::kString}, {"version", Kind::kInteger}},
                          [](const Json& r) {
                            std::cout << "revoked version " << Text(Member(r, "version")) << " of "
                                      << Text(Member(Member(r, "slot"), "ref")) << "\n";
                          });
    };
  });
}

}  // namespace keywarden::cli
