// RequestHandler: status and providers.list (docs/protocol.md "Methods").
#include <unistd.h>

#include "handlers/request_handler.h"
#include "keywarden/clock.h"
#include "keywarden/version.h"
#include "storage/space_reserve.h"

namespace keywarden {
namespace {

// status.reserve; nullopt when no reserve is kept.
std::optional<ReserveStatus> Reserve(const SpaceReserve* reserve) {
  if (reserve == nullptr) return std::nullopt;
  ReserveStatus out;
  out.file = reserve->file().string();
  out.state = std::string(SpaceReserve::StateName(reserve->state()));
  out.bytes = reserve->allocated();
  out.size = reserve->bytes();
  if (reserve->used_at()) out.used_at = FormatTime(*reserve->used_at());
  if (!reserve->detail().empty()) out.detail = reserve->detail();
  return out;
}

}  // namespace

Result<StatusResult> RequestHandler::GetStatus(StatusParams& params, const Peer& peer) {
  StatusResult out;
  out.version = kProductVersion;
  out.protocol = kProtocolVersion;
  out.pid = ::getpid();
  out.mode = options_.system_mode ? "system" : "user";
  out.sealed = !keyring_.has_value();
  out.uptime_s = NowSeconds() - started_at_;
  out.peer_uid = peer.uid;
  out.db = options_.db_file.string();
  out.socket = options_.socket_file.string();
  out.master_key = options_.master_key_origin;
  if (!options_.config_file.empty()) out.config_file = options_.config_file.string();
  out.gateway_url = options_.gateway_url;
  // The size of the database and the reserve concern the whole daemon:
  // in system mode, only an admin sees them.
  if (SeesAll(peer)) {
    const DatabaseSize size = MeasureDatabase(options_.db_file);
    DiskStatus& disk = out.disk.emplace();
    disk.db_bytes = size.file + size.wal;
    disk.db_file_bytes = size.file;
    disk.db_wal_bytes = size.wal;
    disk.disk_free_bytes = size.disk_free;
    disk.reserve = Reserve(options_.reserve);
  }
  if (!keyring_) return out;
  Result<std::optional<uint32_t>> scope = OwnerScope(params.owner, peer);
  if (!scope) return std::unexpected(scope.error());
  Result<StoreCounts> counts = store_.Counts(*scope);
  if (!counts) return std::unexpected(counts.error());
  SlotCounts& slots = out.counts.emplace();
  slots.slots = counts->slots;
  for (const auto& [state, count] : counts->versions_by_state)
    slots.versions_by_state[state] = count;
  if (counts->next_check_at) slots.next_check_at = FormatTime(*counts->next_check_at);
  Result<CopyCounts> copies = store_.CountCopies(*scope);
  if (!copies) return std::unexpected(copies.error());
  slots.copies = copies->copies;
  slots.copies_stale = copies->stale;
  slots.copies_revoked = copies->revoked;
  // The scheduler's next wakeup may be another user's check or reminder.
  std::optional<int64_t> wakeup =
      validation_ && SeesAll(peer) ? validation_->next_wakeup() : std::nullopt;
  if (wakeup) slots.next_scheduled_at = FormatTime(*wakeup);
  return out;
}

Result<ProvidersResult> RequestHandler::Providers(ProvidersParams&, const Peer&) {
  ProvidersResult out;
  for (const ProviderInfo& p : catalogue_.All()) {
    ProviderEntry entry{p.id, p.display_name,     p.env_var,    p.key_pattern,      p.key_example,
                        {},   p.default_endpoint, p.custom_url, p.activation_window};
    for (const auto& [name, url] : p.endpoints) {
      Result<std::string> base = catalogue_.BaseUrl(p, name, config_);
      entry.endpoints[name] = base ? *base : url;
    }
    out.providers.push_back(std::move(entry));
  }
  return out;
}

}  // namespace keywarden
