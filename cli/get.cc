// keywarden get ENV/NAME [--json]: the current secret on stdout, nothing
// else.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "command.h"
#include "output.h"

namespace keywarden::cli {
namespace {

// {"ref": …, "version": N, "provider": …, "env_var": …, "secret": "…"}.
// The secret is escaped and written piece by piece from secure memory,
// never copied into a Json value or a std::string.
bool WriteJson(const GetSecretResult& result, std::string_view secret) {
  const std::string head = fmt::format(
      "{{\n  \"ref\": {},\n  \"version\": {},\n  \"provider\": {},\n  "
      "\"env_var\": {},\n  \"secret\": \"",
      Json(result.ref).dump(), result.version, Json(result.provider).dump(),
      Json(result.env_var).dump());
  if (!WriteStdout(head)) return false;
  size_t start = 0;
  for (size_t i = 0; i < secret.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(secret[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    if (!WriteStdout(secret.substr(start, i - start))) return false;
    char escape[8];
    const int n = c == '"'    ? std::snprintf(escape, sizeof(escape), "\\\"")
                  : c == '\\' ? std::snprintf(escape, sizeof(escape), "\\\\")
                              : std::snprintf(escape, sizeof(escape), "\\u%04x", c);
    if (!WriteStdout(std::string_view(escape, static_cast<size_t>(n)))) return false;
    start = i + 1;
  }
  return WriteStdout(secret.substr(start)) && WriteStdout("\"\n}\n");
}

int RunGet(const std::string& ref, const std::string& owner, bool json, const Globals& globals) {
  Result<std::optional<uint32_t>> uid = OwnerUid(owner);
  if (!uid) return Report(uid.error());
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  Json rest;
  const GetSecretParams params{ref, std::nullopt, *uid};
  Result<SecretBuffer> secret = client->CallForSecret(params.kMethod, Encode(params), &rest);
  if (!secret) return Report(secret.error());
  Result<GetSecretResult> result = DecodeResult<GetSecretResult>(rest);
  if (!result) return Report(result.error());
  if (json) {
    if (!WriteJson(*result, secret->view())) {
      return Report(Error{ErrorCode::kIo, "cannot write to standard output", ""});
    }
    return kExitOk;
  }
  // Written straight from secure memory; a newline only for a terminal, so
  // `$(keywarden get …)` and apiKeyHelper get the exact bytes either way.
  std::string_view bytes = secret->view();
  while (!bytes.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (n <= 0) return Report(Error{ErrorCode::kIo, "cannot write to standard output", ""});
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (::isatty(STDOUT_FILENO)) [[maybe_unused]]
    ssize_t n = ::write(STDOUT_FILENO, "\n", 1);
  return kExitOk;
}

}  // namespace

void RegisterGet(CLI::App& app, const Globals& globals, Runner* run) {
  auto ref = std::make_shared<std::string>();
  auto owner = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("get", "print the current verified secret of a slot");
  cmd->add_option("ref", *ref, "ENV/NAME")->required()->check(RefSyntax());
  cmd->add_flag("--json", *json, "print the ref, version, provider, env_var and secret as JSON");
  AddOwnerOption(cmd, owner.get());
  cmd->callback([ref, owner, json, &globals, run] {
    *run = [ref, owner, json, &globals] {
      return RunGet(*ref, *owner, *json || globals.json, globals);
    };
  });
}

}  // namespace keywarden::cli
