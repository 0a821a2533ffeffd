// RequestHandler: unlock, seal and rekey (passphrase mode, docs/protocol.md).
#include "request_handler.h"

namespace keywarden {

void RequestHandler::Unlock(Json&, const Peer&, Reply reply) {
  reply(Fail(ErrorCode::kConflict, "this daemon does not use a passphrase"));
}

Result<Json> RequestHandler::Seal(Json&, const Peer&) {
  return Fail(ErrorCode::kConflict, "this daemon does not use a passphrase");
}

void RequestHandler::Rekey(Json&, const Peer&, Reply reply) {
  reply(Fail(ErrorCode::kConflict, "rekey is not available yet"));
}

}  // namespace keywarden
