// Waiting for validation to settle, with progress on a terminal.
#include <unistd.h>

#include <iostream>
#include <thread>

#include "command.h"
#include "keywarden/config.h"
#include "output.h"

namespace keywarden::cli {
namespace {

std::string FirstDiagnosis(const SlotObject& slot) {
  return slot.diagnoses.empty() ? "" : slot.diagnoses.front().code;
}

}  // namespace

std::optional<std::chrono::seconds> ParseTimeout(const std::string& text) {
  Result<int64_t> seconds = ParseDuration(text);
  if (!seconds) return std::nullopt;
  return std::chrono::seconds(*seconds);
}

int WaitUntilSettled(Client& client, const std::string& ref, std::chrono::seconds timeout,
                     int version, std::optional<uint32_t> owner) {
  const ShowSlotParams target{ref, owner};
  const bool tty = ::isatty(STDERR_FILENO);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  SlotObject slot;
  for (;;) {
    Result<SlotResult> shown = CallTyped(client, target);
    if (!shown) return Report(shown.error());
    slot = std::move(shown->slot);
    const VersionObject* watched = slot.FindVersion(version);
    bool pending = watched != nullptr && watched->state == VersionState::kPending;
    if (!pending || std::chrono::steady_clock::now() >= deadline) break;
    if (tty) {
      std::string why = FirstDiagnosis(slot);
      std::cerr << "\r\033[Kvalidating " << ref << ": pending"
                << (why.empty() ? "" : " (" + why + ")") << std::flush;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (tty) std::cerr << "\r\033[K";
  const VersionObject* watched = slot.FindVersion(version);
  std::string state = watched ? std::string(VersionStateName(watched->state)) : "?";
  bool usable = slot.usable && state == "verified";
  if (usable) {
    std::cout << ref << ": verified and usable\n";
  } else if (state == "pending") {
    PrintError(ref + " is still pending after " + std::to_string(timeout.count()) + "s",
               "validation goes on in the background; see `keywarden show " + ref + "`");
  } else {
    PrintError(ref + " is not usable: " + state);
  }
  if (!usable && watched != nullptr) {
    for (const Diagnosis& d : watched->diagnoses) PrintHint(d.code + ": " + d.message);
  }
  return usable ? kExitOk : kExitNotUsable;
}

}  // namespace keywarden::cli
