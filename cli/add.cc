// keywarden add ENV/NAME --provider P --models M[,M…] [options]
#include <iostream>
#include <memory>

#include "command.h"
#include "output.h"
#include "reply.h"
#include "secret_input.h"

namespace keywarden::cli {
namespace {

struct AddOptions {
  std::string ref, provider, endpoint, probe, rotate_every, remind_before, grace;
  std::vector<std::string> models;
  bool json = false;
  bool wait = false;
  std::string timeout;  // empty: DefaultWaitTimeout of the provider
};

int RunAdd(const AddOptions& o, const Globals& globals) {
  AddSlotParams params;
  params.ref = o.ref;
  params.provider = o.provider;
  params.models = o.models;
  // An empty option is not sent: the daemon's default applies.
  auto optional = [](const std::string& text) {
    return text.empty() ? std::nullopt : std::optional<std::string>(text);
  };
  params.endpoint = optional(o.endpoint);
  params.probe = optional(o.probe);
  params.rotate_every = optional(o.rotate_every);
  params.remind_before = optional(o.remind_before);
  params.grace = optional(o.grace);

  std::optional<std::chrono::seconds> timeout = DefaultWaitTimeout(o.provider);
  if (!o.timeout.empty()) timeout = ParseTimeout(o.timeout);
  if (!timeout) {
    PrintError("--timeout: expected a duration like 90s or 5m, got \"" + o.timeout + "\"");
    return kExitUsage;
  }
  // Connect first so a stopped daemon is reported before the user pastes.
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  Result<SecretBuffer> secret = ReadSecret("API key for " + o.ref + " (input hidden): ");
  if (!secret) return Report(secret.error());
  params.secret = std::move(*secret);
  Json raw;
  Result<AddSlotResult> result = CallTyped(*client, params, &raw);
  if (!result) return Report(result.error());
  // The first version's masked key, which the message shows.
  const VersionObject* first = result->slot.FindVersion(1);
  if (first == nullptr) return Report(UnexpectedReply("result.slot.versions: no version 1"));
  PrintWarnings(result->warnings);
  const std::string& ref = result->slot.ref;
  if (o.wait) return WaitUntilSettled(*client, ref, timeout);
  if (o.json || globals.json) {
    PrintJson(raw["slot"]);
  } else {
    std::cout << "added " << ref << " version 1 (" << first->fingerprint
              << "), pending validation\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterAdd(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<AddOptions>();
  CLI::App* cmd = app.add_subcommand("add", "store a new key (read from stdin or a hidden prompt)");
  cmd->add_option("ref", o->ref, "ENV/NAME, e.g. dev/openrouter")->required()->check(RefSyntax());
  cmd->add_option("--provider", o->provider,
                  "openrouter, mistral, gemini, openai, anthropic, deepseek, openai-compatible")
      ->required();
  cmd->add_option("--models", o->models, "the models this key is meant for")
      ->required()
      ->delimiter(',');
  cmd->add_option("--endpoint", o->endpoint, "a named endpoint (e.g. codestral) or a base URL");
  cmd->add_option("--probe", o->probe, "complete (default) or list (free calls only)")
      ->check(CLI::IsMember({"complete", "list"}));
  cmd->add_option("--rotate-every", o->rotate_every, "rotation period, e.g. 90d");
  cmd->add_option("--remind-before", o->remind_before, "remind this long before rotation is due");
  cmd->add_option("--grace", o->grace, "keep a replaced key this long for rollback");
  cmd->add_flag("--json", o->json, "print the new slot as JSON");
  cmd->add_flag("--wait", o->wait, "wait until the key is verified or fails");
  cmd->add_option("--timeout", o->timeout,
                  "give up waiting after this long (default: the provider's activation window plus "
                  "1m, at least 2m)");
  cmd->callback([o, &globals, run] { *run = [o, &globals] { return RunAdd(*o, globals); }; });
}

}  // namespace keywarden::cli
