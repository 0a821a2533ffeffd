// keywarden check --provider P --models M[,M…] [--endpoint E|URL]: the 401
// troubleshooter for a key that is not stored. The key comes from stdin or
// a hidden prompt and is forgotten afterwards.
#include <iostream>
#include <memory>

#include "command.h"
#include "output.h"
#include "reply.h"
#include "secret_input.h"

namespace keywarden::cli {
namespace {

struct CheckOptions {
  std::string provider, endpoint, probe;
  std::vector<std::string> models;
  bool json = false;
};

int RunCheck(const CheckOptions& o, const Globals& globals) {
  Result<Client> client = ConnectDaemon(globals, std::chrono::minutes(2));
  if (!client) return Report(client.error());
  Result<SecretBuffer> secret = ReadSecret("API key to check (input hidden): ");
  if (!secret) return Report(secret.error());
  CheckKeyParams params;
  params.provider = o.provider;
  params.models = o.models;
  if (!o.endpoint.empty()) params.endpoint = o.endpoint;
  if (!o.probe.empty()) params.probe = o.probe;
  params.secret = std::move(*secret);
  Json raw;
  Result<CheckKeyResult> result = CallTyped(*client, params, &raw);
  if (!result) return Report(result.error());
  if (o.json || globals.json) {
    PrintJson(raw);
  } else {
    std::cout << "verdict: " << result->verdict << " (" << result->base_url << ", "
              << result->billed_probes << " billed probes)\n";
    PrintChecks(result->checks, result->diagnoses);
  }
  return result->verdict == "verified" ? kExitOk : kExitNotUsable;
}

}  // namespace

void RegisterCheck(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand("check", "probe a key from stdin without storing it");
  cmd->add_option("--provider", o->provider, "the provider the key is for")->required();
  cmd->add_option("--models", o->models, "the models it should work for")
      ->required()
      ->delimiter(',');
  cmd->add_option("--endpoint", o->endpoint, "a named endpoint (e.g. codestral) or a base URL");
  cmd->add_option("--probe", o->probe, "complete (default) or list")
      ->check(CLI::IsMember({"complete", "list"}));
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunCheck(*o, globals); }; });
}

}  // namespace keywarden::cli
