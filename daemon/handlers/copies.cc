// RequestHandler: copy.record, copy.list, copy.forget and key.identify
// (docs/protocol.md "Methods", docs/copies.md). The daemon never reads the
// files: it keeps where copies are and which version each holds; the CLI
// reads them, as the user.
#include <fmt/format.h>

#include "handlers/request_handler.h"
#include "keywarden/clock.h"

namespace keywarden {
namespace {

constexpr size_t kMaxPath = 4096;
constexpr size_t kMaxField = 1024;
constexpr size_t kMaxTarget = 64;

// What the records say of `copy`, without reading the file.
std::string Recorded(const CopyRecord& copy) {
  if (copy.destroyed || copy.version_state == VersionState::kRevoked) return "revoked";
  if (copy.current_version && *copy.current_version == copy.version) return "current";
  return "stale";
}

CopyObject ToObject(const CopyRecord& copy) {
  CopyObject out;
  out.ref = copy.ref.str();
  out.target = copy.target;
  out.path = copy.path;
  out.field = copy.field;
  out.model = copy.model;
  out.version = copy.version;
  out.version_state = std::string(VersionStateName(copy.version_state));
  out.destroyed = copy.destroyed;
  if (copy.current_version) out.current_version = *copy.current_version;
  out.recorded = Recorded(copy);
  out.recorded_at = FormatTime(copy.recorded_at);
  return out;
}

Status CheckText(std::string_view name, const std::string& value, size_t max) {
  if (value.empty() || value.size() > max) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("params.{}: expected 1 to {} bytes", name, max));
  }
  if (value.find('\0') != std::string::npos || value.find('\n') != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("params.{}: a NUL or newline is not allowed", name));
  }
  return {};
}

}  // namespace

Result<CopyRecordResult> RequestHandler::RecordCopy(CopyRecordParams& params, const Peer& peer) {
  if (Status ok = CheckText("target", params.target, kMaxTarget); !ok) {
    return std::unexpected(ok.error());
  }
  if (Status ok = CheckText("path", params.path, kMaxPath); !ok) return std::unexpected(ok.error());
  if (params.path.front() != '/') {
    return Fail(ErrorCode::kInvalidArgument, "params.path: expected an absolute path");
  }
  if (Status ok = CheckText("field", params.field, kMaxField); !ok) {
    return std::unexpected(ok.error());
  }
  Result<SlotKey> key = ParseKey(params.ref, std::nullopt, peer);
  if (!key) return std::unexpected(key.error());
  CopyRecord copy;
  copy.uid = peer.uid;
  copy.target = params.target;
  copy.path = params.path;
  copy.field = params.field;
  copy.model = params.model;
  copy.version = static_cast<int>(params.version);
  copy.recorded_at = NowSeconds();
  Result<CopyRecord> stored = store_.RecordCopy(*key, copy);
  if (!stored) return std::unexpected(stored.error());
  return CopyRecordResult{ToObject(*stored)};
}

Result<CopyListResult> RequestHandler::ListCopies(CopyListParams& params, const Peer& peer) {
  CopyFilter filter{.owner_uid = peer.uid};
  if (params.ref) {
    Result<SlotRef> ref = ParseRef(*params.ref);
    if (!ref) return std::unexpected(ref.error());
    filter.ref = std::move(*ref);
  }
  Result<std::vector<CopyRecord>> copies = store_.ListCopies(filter);
  if (!copies) return std::unexpected(copies.error());
  CopyListResult out;
  out.copies.reserve(copies->size());
  for (const CopyRecord& copy : *copies) out.copies.push_back(ToObject(copy));
  return out;
}

Result<CopyForgetResult> RequestHandler::ForgetCopy(CopyForgetParams& params, const Peer& peer) {
  Result<SlotKey> key = ParseKey(params.ref, std::nullopt, peer);
  if (!key) return std::unexpected(key.error());
  Result<int> forgotten = store_.ForgetCopies(*key, params.path);
  if (!forgotten) return std::unexpected(forgotten.error());
  return CopyForgetResult{*forgotten};
}

Result<IdentifyKeyResult> RequestHandler::IdentifyKey(IdentifyKeyParams& params, const Peer& peer) {
  if (!keyring_) return Fail(ErrorCode::kSealed, "keywardend is sealed", "run `keywarden unlock`");
  // As SealVersion fingerprints a key: the format check's trim is of
  // surrounding whitespace, which a key read from a file never has.
  std::string_view secret = params.secret.view();
  while (!secret.empty() && (secret.front() == ' ' || secret.front() == '\t')) {
    secret.remove_prefix(1);
  }
  while (!secret.empty() && (secret.back() == ' ' || secret.back() == '\t' ||
                             secret.back() == '\r' || secret.back() == '\n')) {
    secret.remove_suffix(1);
  }
  IdentifyKeyResult out;
  if (secret.empty()) return out;
  // The caller's own slots only, admins included: an admin learns nothing
  // of which user's key a file holds.
  Result<std::vector<KeyMatch>> matches =
      store_.FindByFingerprint(peer.uid, keyring_->Fingerprint(secret));
  if (!matches) return std::unexpected(matches.error());
  for (const KeyMatch& m : *matches) {
    out.matches.push_back(
        {m.ref.str(), m.version, std::string(VersionStateName(m.state)), m.current, m.destroyed});
  }
  return out;
}

}  // namespace keywarden
