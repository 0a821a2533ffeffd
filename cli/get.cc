// keywarden get ENV/NAME: the current secret on stdout, nothing else.
#include <unistd.h>

#include <memory>

#include "command.h"
#include "output.h"

namespace keywarden::cli {
namespace {

int RunGet(const std::string& ref, const std::string& owner, const Globals& globals) {
  Result<std::optional<uint32_t>> uid = OwnerUid(owner);
  if (!uid) return Report(uid.error());
  Result<Client> client = ConnectDaemon(globals);
  if (!client) return Report(client.error());
  Json rest;
  const GetSecretParams params{ref, std::nullopt, *uid};
  Result<SecretBuffer> secret = client->CallForSecret(params.kMethod, Encode(params), &rest);
  if (!secret) return Report(secret.error());
  if (Result<GetSecretResult> result = DecodeResult<GetSecretResult>(rest); !result) {
    return Report(result.error());
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
  CLI::App* cmd = app.add_subcommand("get", "print the current verified secret of a slot");
  cmd->add_option("ref", *ref, "ENV/NAME")->required();
  AddOwnerOption(cmd, owner.get());
  cmd->callback([ref, owner, &globals, run] {
    *run = [ref, owner, &globals] { return RunGet(*ref, *owner, globals); };
  });
}

}  // namespace keywarden::cli
