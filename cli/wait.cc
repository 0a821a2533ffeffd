// Waiting for validation to settle, with progress on a terminal.
#include <unistd.h>

#include <iostream>
#include <thread>

#include "command.h"
#include "keywarden/config.h"
#include "output.h"

namespace keywarden::cli {
namespace {

std::string FirstDiagnosis(const Json& slot) {
  const Json& diagnoses = Member(slot, "diagnoses");
  if (!diagnoses.is_array() || diagnoses.empty()) return "";
  return Text(Member(diagnoses[0], "code"), "");
}

}  // namespace

std::optional<std::chrono::seconds> ParseTimeout(const std::string& text) {
  Result<int64_t> seconds = ParseDuration(text);
  if (!seconds) return std::nullopt;
  return std::chrono::seconds(*seconds);
}

// The watched version's object, or null.
const Json& VersionOf(const Json& slot, int version) {
  static const Json kNull;
  const Json& versions = Member(slot, "versions");
  if (!versions.is_array() || versions.empty()) return kNull;
  if (version == 0) return versions.back();
  for (const Json& v : versions) {
    if (Member(v, "version") == version) return v;
  }
  return kNull;
}

int WaitUntilSettled(Client& client, const std::string& ref, std::chrono::seconds timeout,
                     int version, std::optional<uint32_t> owner) {
  const ShowSlotParams target{ref, owner};
  const bool tty = ::isatty(STDERR_FILENO);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Json slot;
  for (;;) {
    Result<SlotResult> shown = CallTyped(client, target);
    if (!shown) return Report(shown.error());
    slot = std::move(shown->slot);
    bool pending = Member(VersionOf(slot, version), "state") == "pending";
    if (!pending || std::chrono::steady_clock::now() >= deadline) break;
    if (tty) {
      std::string why = FirstDiagnosis(slot);
      std::cerr << "\r\033[Kvalidating " << ref << ": pending"
                << (why.empty() ? "" : " (" + why + ")") << std::flush;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (tty) std::cerr << "\r\033[K";
  const Json& watched = VersionOf(slot, version);
  std::string state = Text(Member(watched, "state"), "?");
  bool usable = Member(slot, "usable") == true && state == "verified";
  if (usable) {
    std::cout << ref << ": verified and usable\n";
  } else if (state == "pending") {
    PrintError(ref + " is still pending after " + std::to_string(timeout.count()) + "s",
               "validation goes on in the background; see `keywarden show " + ref + "`");
  } else {
    PrintError(ref + " is not usable: " + state);
  }
  if (!usable) {
    const Json& diagnoses = Member(watched, "diagnoses");
    if (diagnoses.is_array()) {
      for (const Json& d : diagnoses) {
        PrintHint(Text(Member(d, "code")) + ": " + Text(Member(d, "message"), ""));
      }
    }
  }
  return usable ? kExitOk : kExitNotUsable;
}

}  // namespace keywarden::cli
