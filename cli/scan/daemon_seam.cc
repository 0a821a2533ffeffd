#include "scan/daemon_seam.h"

#include <fmt/format.h>

#include <algorithm>

#include "keywarden/messages_copies.h"
#include "reply.h"

namespace keywarden::cli::scan {
namespace {

bool IsUnknownMethod(const Error& error) {
  return error.code == ErrorCode::kProtocol && error.message.starts_with("unknown method");
}

}  // namespace

Result<std::optional<std::vector<Identity>>> IdentifyKey(Client& client, std::string_view secret) {
  Result<IdentifyKeyResult> result =
      CallTyped(client, IdentifyKeyParams{SecretBuffer::Copy(secret)});
  if (!result) {
    if (IsUnknownMethod(result.error())) return std::optional<std::vector<Identity>>();
    return std::unexpected(result.error());
  }
  return std::optional<std::vector<Identity>>(std::move(result->matches));
}

std::string Describe(const std::vector<Identity>& identities) {
  if (identities.empty()) return "unknown";
  std::string out;
  for (const Identity& identity : identities) {
    if (!out.empty()) out += "; ";
    if (identity.current) {
      out += "current of " + identity.ref;
    } else {
      std::string state = identity.state.empty() ? "known" : identity.state;
      if (identity.destroyed && state != "revoked") state = "destroyed";
      out += fmt::format("{} v{} of {}", state, identity.version, identity.ref);
    }
  }
  return out;
}

std::vector<std::string> Environments(const std::vector<Identity>& identities) {
  std::vector<std::string> envs;
  for (const Identity& identity : identities) {
    size_t slash = identity.ref.find('/');
    envs.push_back(slash == std::string::npos ? std::string() : identity.ref.substr(0, slash));
  }
  std::sort(envs.begin(), envs.end());
  envs.erase(std::unique(envs.begin(), envs.end()), envs.end());
  return envs;
}

Result<bool> RecordCopy(Client& client, const std::string& ref, int64_t version,
                        std::string_view target, const std::filesystem::path& path,
                        std::string_view field, std::string_view model) {
  Result<CopyRecordResult> result =
      CallTyped(client, CopyRecordParams{ref, std::string(target), path.string(),
                                         std::string(field), std::string(model), version});
  if (!result) {
    if (IsUnknownMethod(result.error())) return false;
    return std::unexpected(result.error());
  }
  return true;
}

}  // namespace keywarden::cli::scan
