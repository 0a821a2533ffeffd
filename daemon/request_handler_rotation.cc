// RequestHandler: rotate, rollback, revoke and reminders.
#include "request_handler.h"

namespace keywarden {

Result<Json> RequestHandler::RotateSlot(Json&, const Peer&) {
  return Fail(ErrorCode::kConflict, "rotation is not available yet");
}

Result<Json> RequestHandler::RollbackSlot(Json&, const Peer&) {
  return Fail(ErrorCode::kConflict, "rollback is not available yet");
}

Result<Json> RequestHandler::RevokeVersion(Json&, const Peer&) {
  return Fail(ErrorCode::kConflict, "revoke is not available yet");
}

Result<Json> RequestHandler::ListReminders(Json&, const Peer&) {
  return Json{{"reminders", Json::array()}};
}

}  // namespace keywarden
