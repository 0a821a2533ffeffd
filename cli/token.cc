// keywarden token add NAME --env ENV [--slots ENV/NAME,…] [--expires DUR]
// keywarden token list [--json]
// keywarden token rm NAME [--yes]
// The gateway's tokens (docs/gateway.md "Tokens"): add prints the token's
// text once, on stdout; the daemon keeps only its keyed hash.
#include "token.h"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "command.h"
#include "keywarden/clock.h"
#include "keywarden/config.h"
#include "output.h"

namespace keywarden::cli {
namespace {

struct TokenOptions {
  std::string name, env, slots, expires;
  bool yes = false, json = false;
};

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string Scope(const TokenInfo& info) {
  if (info.slots.empty()) return info.env + "/*";
  std::string out;
  for (const std::string& slot : info.slots)
    out += (out.empty() ? "" : ",") + info.env + "/" + slot;
  return out;
}

std::string Expiry(const TokenInfo& info) {
  if (!info.expires_at) return "never";
  return FormatTime(*info.expires_at) + (info.expired ? " (expired)" : "");
}

int RunAdd(const TokenOptions& o, const Globals& globals) {
  AddTokenParams params{.name = o.name, .env = o.env, .slots = SplitList(o.slots)};
  if (!o.expires.empty()) {
    Result<int64_t> seconds = ParseDuration(o.expires);
    if (!seconds || *seconds <= 0) {
      PrintError("--expires: expected a duration like 12h, 30d");
      return kExitUsage;
    }
    params.expires_in = *seconds;
  }
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  Result<AddTokenResult> added = CreateToken(*client, params);
  if (!added) {
    // A malformed name or a slot of another env: the command line's fault.
    if (added.error().code == ErrorCode::kInvalidArgument) {
      PrintError(added.error().message, added.error().hint);
      return kExitUsage;
    }
    return Report(added.error());
  }
  const std::string_view token = added->token.view();
  bool written = false;
  if (o.json || globals.json) {
    // The info as JSON, then the token written from secure memory: its
    // characters (base64url) need no escaping.
    std::string head = Encode(added->info).dump(2);
    head.pop_back();  // the closing brace, then the newline before it
    while (!head.empty() && head.back() == '\n') head.pop_back();
    written =
        WriteStdout(head + ",\n  \"token\": \"") && WriteStdout(token) && WriteStdout("\"\n}\n");
  } else {
    written = WriteStdout(token) && WriteStdout("\n");
  }
  if (!written) return Report(Error{ErrorCode::kIo, "cannot write to standard output", ""});
  PrintHint(fmt::format("token {} reaches {} through the gateway; it is shown only this once",
                        added->info.name, Scope(added->info)));
  return kExitOk;
}

int RunList(const TokenOptions& o, const Globals& globals) {
  return CallAndPrint<ListTokensParams>(
      globals, {}, o.json || globals.json, [](const ListTokensResult& r, const Json&) {
        if (r.tokens.empty()) {
          std::cout << "no tokens\n";
          return;
        }
        std::vector<std::vector<std::string>> rows = {{"NAME", "SLOTS", "CREATED", "EXPIRES"}};
        for (const TokenInfo& info : r.tokens) {
          rows.push_back({info.name, Scope(info), FormatTime(info.created_at), Expiry(info)});
        }
        std::cout << FormatTable(rows, OutputWidth());
      });
}

int RunRemove(const TokenOptions& o, const Globals& globals) {
  auto describe = [&]() -> Result<std::string> {
    return fmt::format("token {}: every tool that sends it gets 401 from the gateway from now on.",
                       o.name);
  };
  if (std::optional<int> stop = Confirm(o.yes, "token rm", "Remove?", describe)) return *stop;
  const bool json = o.json || globals.json;
  return CallAndPrint<RemoveTokenParams>(globals, {o.name}, false,
                                         [json](const RemoveTokenResult& r, const Json&) {
                                           if (json) {
                                             PrintJson({{"name", r.removed}, {"removed", true}});
                                           } else {
                                             std::cout << "removed token " << r.removed << "\n";
                                           }
                                         });
}

}  // namespace

Result<AddTokenResult> CreateToken(Client& client, const AddTokenParams& params) {
  Json rest;
  Result<SecretBuffer> token = client.CallForSecret(params.kMethod, Encode(params), &rest);
  if (!token) return std::unexpected(token.error());
  Result<AddTokenResult> result = DecodeResult<AddTokenResult>(rest);
  if (!result) return result;
  result->token = std::move(*token);
  return result;
}

void RegisterToken(CLI::App& app, const Globals& globals, Runner* run) {
  auto o = std::make_shared<TokenOptions>();
  CLI::App* cmd = app.add_subcommand("token", "manage the gateway's local tokens");
  cmd->require_subcommand(1);

  CLI::App* add = cmd->add_subcommand("add", "create a token and print it once");
  add->add_option("name", o->name, "NAME")->required();
  add->add_option("--env", o->env, "the env whose slots the token reaches")->required();
  add->add_option("--slots", o->slots, "only these slots of that env (ENV/NAME,…)")
      ->check(RefSyntax(/*list=*/true));
  add->add_option("--expires", o->expires, "expire after this long (12h, 30d)")
      ->check(DurationSyntax());
  add->add_flag("--json", o->json, "print the token and its settings as JSON");
  add->callback([o, &globals, run] { *run = [o, &globals] { return RunAdd(*o, globals); }; });

  CLI::App* list = cmd->add_subcommand("list", "list your tokens (never their text)");
  list->alias("ls");
  list->add_flag("--json", o->json, R"(print {"tokens": [...]})");
  list->callback([o, &globals, run] { *run = [o, &globals] { return RunList(*o, globals); }; });

  CLI::App* rm = cmd->add_subcommand("rm", "delete a token: tools sending it are refused");
  rm->add_option("name", o->name, "NAME")->required();
  AddYesOption(rm, &o->yes);
  rm->add_flag("--json", o->json, R"(print {"name": …, "removed": true})");
  rm->callback([o, &globals, run] { *run = [o, &globals] { return RunRemove(*o, globals); }; });
}

}  // namespace keywarden::cli
