// RequestHandler: events.list, the audit trail (docs/protocol.md "Methods").
#include "handlers/request_handler.h"
#include "keywarden/clock.h"

namespace keywarden {

Result<EventsResult> RequestHandler::ListEvents(EventsParams& params, const Peer& peer) {
  EventFilter filter;
  Result<std::optional<uint32_t>> scope = OwnerScope(params.owner, peer);
  if (!scope) return std::unexpected(scope.error());
  filter.owner_uid = *scope;
  if (params.ref) {
    Result<SlotRef> parsed = ParseRef(*params.ref);
    if (!parsed) return std::unexpected(parsed.error());
    filter.ref = parsed->str();
  }
  if (params.since) {
    Result<int64_t> window = ParseDuration(*params.since);
    if (!window) return Fail(ErrorCode::kInvalidArgument, "--since: " + window.error().message);
    filter.since = NowSeconds() - *window;
  }
  Result<std::vector<Event>> events = store_.ListEvents(filter);
  if (!events) return std::unexpected(events.error());
  return EventsResult{std::move(*events)};
}

}  // namespace keywarden
