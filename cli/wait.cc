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

bool HasDiagnosis(const Json& version, std::string_view code) {
  const Json& diagnoses = Member(version, "diagnoses");
  if (!diagnoses.is_array()) return false;
  for (const Json& d : diagnoses) {
    if (Member(d, "code") == code) return true;
  }
  return false;
}

std::string MessageOf(const Json& version, std::string_view code) {
  for (const Json& d : Member(version, "diagnoses")) {
    if (Member(d, "code") == code) return Text(Member(d, "message"), "");
  }
  return "";
}

// Why waiting for `version` (still pending) cannot change its outcome, or
// "" while it can. The daemon goes on re-checking in the background, but
// only the user can fix these: a key refused and shaped like another
// provider's or like none (the daemon fails it at the confirmation), or a
// slot's own URL that does not resolve or refuses connections.
std::string Hopeless(const Json& slot, const Json& version) {
  const bool refused = HasDiagnosis(version, "invalid_key");
  if (refused && HasDiagnosis(version, "looks_like_other_provider")) {
    return "the provider refuses a key shaped like another provider's";
  }
  if (refused && HasDiagnosis(version, "malformed_key")) {
    return "the provider refuses a key that does not have its keys' shape";
  }
  const bool own_url = Text(Member(slot, "endpoint"), "").find("://") != std::string::npos;
  if (own_url && HasDiagnosis(version, "endpoint_unreachable")) {
    return "the slot's endpoint cannot be reached";
  }
  return "";
}

// The progress line while pending: the daemon's own sentence for an
// activation wait, else the first diagnosis's code.
std::string Progress(const Json& version) {
  std::string activation = MessageOf(version, "not_yet_active");
  if (!activation.empty()) return activation;
  const Json& diagnoses = Member(version, "diagnoses");
  if (!diagnoses.is_array() || diagnoses.empty()) return "pending";
  return "pending (" + Text(Member(diagnoses[0], "code"), "") + ")";
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

int WaitUntilSettled(Client& client, const std::string& ref,
                     std::optional<std::chrono::seconds> timeout, int version,
                     std::optional<uint32_t> owner) {
  const ShowSlotParams target{ref, owner};
  const bool tty = ::isatty(STDERR_FILENO);
  std::optional<std::chrono::steady_clock::time_point> deadline;
  Json slot;
  std::string hopeless;
  for (;;) {
    Result<SlotResult> shown = CallTyped(client, target);
    if (!shown) return Report(shown.error());
    slot = std::move(shown->slot);
    if (!timeout) timeout = DefaultWaitTimeout(Text(Member(slot, "provider"), ""));
    if (!deadline) deadline = std::chrono::steady_clock::now() + *timeout;
    const Json& watched = VersionOf(slot, version);
    if (Member(watched, "state") != "pending") break;
    hopeless = Hopeless(slot, watched);
    if (!hopeless.empty() || std::chrono::steady_clock::now() >= *deadline) break;
    if (tty) std::cerr << "\r\033[Kvalidating " << ref << ": " << Progress(watched) << std::flush;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (tty) std::cerr << "\r\033[K";
  const Json& watched = VersionOf(slot, version);
  std::string state = Text(Member(watched, "state"), "?");
  // Usable means the watched version is verified and is the one served.
  bool usable = Member(slot, "usable") == true && state == "verified" &&
                Member(slot, "current_version") == Member(watched, "version");
  if (usable) {
    std::cout << ref << ": verified and usable\n";
  } else if (!hopeless.empty()) {
    PrintError(ref + " is pending and waiting will not change that: " + hopeless);
  } else if (state == "pending") {
    PrintError(ref + " is still pending after " + std::to_string(timeout->count()) + "s",
               "validation goes on in the background; see `keywarden show " + ref + "`");
  } else {
    PrintError(ref + " is not usable: version " + Text(Member(watched, "version")) + " is " +
               state);
  }
  if (!usable) {
    const Json& diagnoses = Member(watched, "diagnoses");
    if (diagnoses.is_array()) {
      for (const Json& d : diagnoses) {
        PrintHint(Text(Member(d, "code")) + ": " + Text(Member(d, "message"), ""));
      }
    }
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
