// Waiting for validation to settle, with progress on a terminal.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "command.h"
#include "keywarden/config.h"
#include "keywarden/providers.h"
#include "output.h"

namespace keywarden::cli {
namespace {

const Diagnosis* FindDiagnosis(const VersionObject& version, std::string_view code) {
  for (const Diagnosis& d : version.diagnoses) {
    if (d.code == code) return &d;
  }
  return nullptr;
}

// Why waiting for `version` (still pending) cannot change its outcome, or
// "" while it can. The daemon goes on re-checking in the background, but
// only the user can fix these: a key refused and shaped like another
// provider's or like none (the daemon fails it at the confirmation), or a
// slot's own URL that does not resolve or refuses connections.
std::string Hopeless(const SlotObject& slot, const VersionObject& version) {
  const bool refused = FindDiagnosis(version, "invalid_key") != nullptr;
  if (refused && FindDiagnosis(version, "looks_like_other_provider")) {
    return "the provider refuses a key shaped like another provider's";
  }
  if (refused && FindDiagnosis(version, "malformed_key")) {
    return "the provider refuses a key that does not have its keys' shape";
  }
  const bool own_url = slot.endpoint.find("://") != std::string::npos;
  if (own_url && FindDiagnosis(version, "endpoint_unreachable")) {
    return "the slot's endpoint cannot be reached";
  }
  return "";
}

// The progress line while pending: the daemon's own sentence for an
// activation wait, else the first diagnosis's code.
std::string Progress(const VersionObject& version) {
  if (const Diagnosis* activation = FindDiagnosis(version, "not_yet_active")) {
    if (!activation->message.empty()) return activation->message;
  }
  if (version.diagnoses.empty()) return "pending";
  return "pending (" + version.diagnoses.front().code + ")";
}

}  // namespace

std::optional<std::chrono::seconds> ParseTimeout(const std::string& text) {
  Result<int64_t> seconds = ParseDuration(text);
  if (!seconds) return std::nullopt;
  return std::chrono::seconds(*seconds);
}

std::chrono::seconds DefaultWaitTimeout(std::string_view provider) {
  int64_t window = 120;
  if (const ProviderInfo* p = Catalogue::Builtin().Find(std::string(provider))) {
    window = p->activation_window;
  }
  return std::chrono::seconds(std::max<int64_t>(120, window + kWaitMargin));
}

int WaitUntilSettled(Client& client, const std::string& ref,
                     std::optional<std::chrono::seconds> timeout, int version,
                     std::optional<uint32_t> owner) {
  const ShowSlotParams target{ref, owner};
  const bool tty = ::isatty(STDERR_FILENO);
  std::optional<std::chrono::steady_clock::time_point> deadline;
  SlotObject slot;
  std::string hopeless;
  for (;;) {
    Result<SlotResult> shown = CallTyped(client, target);
    if (!shown) return Report(shown.error());
    slot = std::move(shown->slot);
    if (!timeout) timeout = DefaultWaitTimeout(slot.provider);
    if (!deadline) deadline = std::chrono::steady_clock::now() + *timeout;
    const VersionObject* watched = slot.FindVersion(version);
    if (watched == nullptr || watched->state != VersionState::kPending) break;
    hopeless = Hopeless(slot, *watched);
    if (!hopeless.empty() || std::chrono::steady_clock::now() >= *deadline) break;
    if (tty) std::cerr << "\r\033[Kvalidating " << ref << ": " << Progress(*watched) << std::flush;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (tty) std::cerr << "\r\033[K";
  const VersionObject* watched = slot.FindVersion(version);
  if (watched == nullptr) {
    PrintError(ref + " has no version " + std::to_string(version));
    return kExitNotUsable;
  }
  const std::string state(VersionStateName(watched->state));
  // Usable means the watched version is verified and is the one served.
  const bool usable = slot.usable && watched->state == VersionState::kVerified &&
                      slot.current_version == watched->version;
  if (usable) {
    std::cout << ref << ": verified and usable\n";
  } else if (!hopeless.empty()) {
    PrintError(ref + " is pending and waiting will not change that: " + hopeless);
  } else if (watched->state == VersionState::kPending) {
    PrintError(ref + " is still pending after " + std::to_string(timeout->count()) + "s",
               "validation goes on in the background; see `keywarden show " + ref + "`");
  } else {
    PrintError(ref + " is not usable: version " + std::to_string(watched->version) + " is " +
               state);
  }
  if (!usable) {
    for (const Diagnosis& d : watched->diagnoses) PrintHint(d.code + ": " + d.message);
    if (!hopeless.empty()) {
      PrintHint(
          "keywarden keeps re-checking in the background; once the cause is fixed run "
          "`keywarden validate " +
          ref + " --wait`");
    }
  }
  return usable ? kExitOk : kExitNotUsable;
}

}  // namespace keywarden::cli
