#include "keywarden/slot.h"

#include <algorithm>

#include "common/name_table.h"

namespace keywarden {
namespace {

constexpr size_t kMaxRefPart = 63;

constexpr NameTable<VersionState, 5> kStateNames = {{
    {VersionState::kPending, "pending"},
    {VersionState::kVerified, "verified"},
    {VersionState::kFailed, "failed"},
    {VersionState::kRetired, "retired"},
    {VersionState::kRevoked, "revoked"},
}};

constexpr NameTable<Outcome, 7> kOutcomeNames = {{
    {Outcome::kOk, "ok"},
    {Outcome::kDenied, "denied"},
    {Outcome::kNotFound, "not_found"},
    {Outcome::kAuthFailed, "auth_failed"},
    {Outcome::kNoCredit, "no_credit"},
    {Outcome::kRateLimited, "rate_limited"},
    {Outcome::kUnavailable, "unavailable"},
}};

// rate_limited and unavailable say nothing about the key, so they never make
// a verified version unusable; the scheduler retries them.
bool IsDefinitiveFailure(Outcome outcome) {
  return outcome == Outcome::kDenied || outcome == Outcome::kNotFound ||
         outcome == Outcome::kAuthFailed || outcome == Outcome::kNoCredit;
}

const Check* FirstDefinitiveFailure(const Version& version) {
  auto it = std::find_if(version.checks.begin(), version.checks.end(),
                         [](const Check& c) { return IsDefinitiveFailure(c.outcome); });
  return it == version.checks.end() ? nullptr : &*it;
}

std::string DescribeCheck(const Check& check) {
  std::string text = check.model.empty() ? "the auth probe" : check.model;
  text += ": ";
  text += OutcomeName(check.outcome);
  if (!check.detail.empty()) text += " (" + check.detail + ")";
  return text;
}

// The most useful single line about why `version` failed. Informational
// diagnoses (a trimmed key, an alias) explain nothing about a failure.
std::string FailureSummary(const Version& version) {
  for (const Diagnosis& d : version.diagnoses) {
    if (d.code != "whitespace_trimmed" && d.code != "model_alias" && !d.message.empty()) {
      return d.message;
    }
  }
  if (const Check* check = FirstDefinitiveFailure(version)) return DescribeCheck(*check);
  return "validation failed";
}

std::string DescribeState(const Version& version) {
  std::string prefix = "version " + std::to_string(version.number);
  switch (version.state) {
    case VersionState::kPending:
      return prefix + " is pending: validation has not finished";
    case VersionState::kFailed:
      return prefix + " failed: " + FailureSummary(version);
    case VersionState::kRevoked:
      return prefix + " was revoked";
    case VersionState::kRetired:
      return prefix + " was retired";
    case VersionState::kVerified:
      break;
  }
  if (const Check* check = FirstDefinitiveFailure(version)) {
    return prefix + " failed its latest check: " + DescribeCheck(*check);
  }
  return "";
}

// What is wrong with an ENV or NAME, "" if nothing. Quotes the part only when
// it is short enough to be a plausible name (a pasted key is not echoed).
std::string ExplainRefPart(std::string_view part) {
  if (part.empty()) return "it is empty";
  if (part.size() > kMaxRefPart) {
    return "it is " + std::to_string(part.size()) + " characters long, at most 63";
  }
  if (IsValidRefPart(part)) return "";
  bool printable =
      std::all_of(part.begin(), part.end(), [](char c) { return c > ' ' && c < 0x7f; });
  std::string quoted = printable ? "\"" + std::string(part) + "\" " : "it ";
  for (size_t i = 0; i < part.size(); ++i) {
    char c = part[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '-'));
    if (ok) continue;
    std::string shown =
        (c > ' ' && c < 0x7f) ? "'" + std::string(1, c) + "'" : "a special character";
    return quoted + "has " + shown + " at character " + std::to_string(i + 1);
  }
  return quoted + "is not valid";
}

}  // namespace

bool IsValidRefPart(std::string_view part) {
  if (part.empty() || part.size() > kMaxRefPart) return false;
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(part.front())) return false;
  return std::all_of(part.begin(), part.end(),
                     [&](char c) { return lower_or_digit(c) || c == '_' || c == '-'; });
}

Result<SlotRef> SlotRef::Parse(std::string_view text, std::string_view default_env) {
  SlotRef ref;
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    if (default_env.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "a slot is ENV/NAME, e.g. dev/openrouter");
    }
    ref.env = default_env;
    ref.name = text;
  } else {
    ref.env = text.substr(0, slash);
    ref.name = text.substr(slash + 1);
  }
  // A second '/' lands in the name and is rejected there.
  for (auto [part, what] : {std::pair<std::string_view, std::string_view>{ref.env, "environment"},
                            {ref.name, "name"}}) {
    std::string problem = ExplainRefPart(part);
    if (!problem.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "invalid slot " + std::string(what) + ": " + problem +
                      "; expected a lower-case letter or digit, then up to 62 lower-case "
                      "letters, digits, '_' or '-'",
                  "a slot is ENV/NAME, e.g. dev/openrouter");
    }
  }
  return ref;
}

std::string_view VersionStateName(VersionState state) {
  return NameOf(kStateNames, state, "unknown");
}

std::optional<VersionState> VersionStateFromName(std::string_view name) {
  return FromName(kStateNames, name);
}

std::string_view OutcomeName(Outcome outcome) { return NameOf(kOutcomeNames, outcome, "unknown"); }

std::optional<Outcome> OutcomeFromName(std::string_view name) {
  return FromName(kOutcomeNames, name);
}

const Version* Slot::FindVersion(int number) const {
  auto it = std::find_if(versions.begin(), versions.end(),
                         [number](const Version& v) { return v.number == number; });
  return it == versions.end() ? nullptr : &*it;
}

bool Slot::Usable() const { return UnusableReason().empty(); }

std::string Slot::UnusableReason() const {
  if (current_version) {
    const Version* current = FindVersion(*current_version);
    if (current == nullptr) {
      return "current version " + std::to_string(*current_version) + " is missing";
    }
    return DescribeState(*current);
  }
  // No current version: the newest attempt explains why, e.g. a first key
  // still pending or one that failed.
  const Version* newest = pending_version ? FindVersion(*pending_version) : Newest();
  if (newest != nullptr && newest->state != VersionState::kVerified) {
    std::string reason = DescribeState(*newest);
    if (!reason.empty()) return reason;
  }
  return "no current version";
}

}  // namespace keywarden
