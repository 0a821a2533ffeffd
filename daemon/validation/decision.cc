#include "validation/decision.h"

#include <fmt/format.h>

#include <algorithm>

#include "keywarden/clock.h"

namespace keywarden {
namespace {

bool IsDefinitive(Outcome o) {
  return o == Outcome::kDenied || o == Outcome::kNotFound || o == Outcome::kAuthFailed ||
         o == Outcome::kNoCredit;
}

// Seconds until the next try: retry_min doubled per attempt up to
// retry_max, or longer when the provider asked for it, but never beyond
// `bound`: a provider's answer (a Retry-After of 10^20 s) must not stop
// the checks of a key for good.
int64_t Backoff(const ValidationConfig& v, int attempts,
                const std::optional<std::chrono::milliseconds>& retry_after, int64_t bound) {
  int64_t wait = v.retry_min;
  for (int i = 0; i < attempts && wait < v.retry_max; ++i) wait *= 2;
  wait = std::min(wait, v.retry_max);
  if (retry_after && retry_after->count() > 0) {
    int64_t asked = retry_after->count() / 1000 + (retry_after->count() % 1000 != 0);
    wait = std::max(wait, std::min(asked, bound));
  }
  return std::max<int64_t>(wait, 1);
}

}  // namespace

Decision Decide(const LadderObservation& obs, const DecisionContext& ctx) {
  const ValidationConfig& v = *ctx.validation;
  Decision d;
  if (obs.auth) d.checks.push_back(*obs.auth);
  for (const Check& c : obs.models) {
    if (!c.model.empty() || c.checked_at != 0) d.checks.push_back(c);
  }
  d.diagnoses = obs.diagnoses;
  d.state = ctx.state;
  d.attempts = ctx.attempts + 1;

  auto definitive = [&](Diagnosis extra) {
    if (!extra.code.empty()) d.diagnoses.insert(d.diagnoses.begin(), std::move(extra));
    d.definitive_failure = true;
    if (ctx.is_current) {
      d.next_check_at = ctx.now + v.revalidate_every;  // keep watching a served key
    } else {
      d.state = VersionState::kFailed;
      d.next_check_at.reset();
    }
  };
  // ctx.now is the current second, truncated, and the scheduler fires at
  // the start of the due second: one more second keeps the wait at least
  // `delay` (a Retry-After of 2 s answered at T.9 is not retried at T+2.0).
  auto retry = [&](int64_t delay) { d.next_check_at = ctx.now + delay + 1; };
  // How long a provider may defer the next check: a key being activated
  // is checked at least every retry_max, a served one at least as often as
  // revalidation would check it anyway.
  const bool activation = !ctx.is_current && ctx.state != VersionState::kVerified;
  const int64_t bound = activation ? v.retry_max : std::max(v.revalidate_every, v.retry_max);

  bool auth_failed = (obs.auth && obs.auth->outcome == Outcome::kAuthFailed) ||
                     (!obs.auth && !obs.models.empty() &&
                      std::all_of(obs.models.begin(), obs.models.end(), [](const Check& c) {
                        return c.outcome == Outcome::kAuthFailed;
                      }));
  if (obs.wrong_endpoint) {
    std::erase_if(d.diagnoses, [](const Diagnosis& x) { return x.code == "invalid_key"; });
    definitive(*obs.wrong_endpoint);
    return d;
  }
  if (auth_failed) {
    // A key shaped like another provider's, or like no provider's, is not
    // a new key waiting to activate: no activation wait, the refusal is
    // only confirmed once.
    const bool wrong_shape = std::any_of(
        ctx.previous_diagnoses.begin(), ctx.previous_diagnoses.end(), [](const Diagnosis& x) {
          return x.code == "looks_like_other_provider" || x.code == "malformed_key";
        });
    const int64_t window_end = ctx.created_at + ctx.activation_window;
    bool in_window = !ctx.is_current && !wrong_shape && ctx.now < window_end;
    if (in_window) {
      std::erase_if(d.diagnoses, [](const Diagnosis& x) { return x.code == "invalid_key"; });
      // The last check is at the window's end, never beyond it: a refusal
      // then fails the key.
      int64_t next =
          std::min(ctx.now + Backoff(v, ctx.attempts, obs.retry_after, bound) + 1, window_end);
      next = std::max(next, ctx.now + 1);
      d.diagnoses.insert(
          d.diagnoses.begin(),
          {"not_yet_active", fmt::format("not active yet; next check at {}, giving up at {} "
                                         "(activation window {})",
                                         FormatTime(next), FormatTime(window_end),
                                         FormatDuration(ctx.activation_window))});
      d.next_check_at = next;
      return d;
    }
    if (!ctx.previous_auth_failed) {
      // One 401 never fails a key: confirm after a short delay.
      // The marker diagnosis is what tells the next run that this is the
      // second failure in a row.
      d.keep_previous_checks = true;
      d.diagnoses = ctx.previous_diagnoses;
      std::erase_if(d.diagnoses, [](const Diagnosis& x) { return x.code == "invalid_key"; });
      d.diagnoses.push_back(
          {"invalid_key", fmt::format("the provider refused the key once; "
                                      "keywarden confirms at {} before failing it",
                                      FormatTime(ctx.now + v.retry_min))});
      retry(v.retry_min);
      return d;
    }
    if (std::none_of(d.diagnoses.begin(), d.diagnoses.end(),
                     [](const Diagnosis& x) { return x.code == "invalid_key"; })) {
      d.diagnoses.push_back({"invalid_key", "the provider rejects this key"});
    }
    definitive({});
    return d;
  }
  bool any_definitive = false, any_inconclusive = false;
  for (const Check& c : d.checks) {
    any_definitive = any_definitive || IsDefinitive(c.outcome);
    any_inconclusive = any_inconclusive || c.outcome == Outcome::kRateLimited ||
                       c.outcome == Outcome::kUnavailable;
  }
  if (any_definitive) {
    definitive({});
    return d;
  }
  if (any_inconclusive) {
    retry(Backoff(v, ctx.attempts, obs.retry_after, bound));
    return d;
  }
  d.attempts = 0;
  d.state = ctx.state == VersionState::kPending ? VersionState::kVerified : ctx.state;
  if (ctx.state == VersionState::kFailed) d.state = VersionState::kVerified;
  d.next_check_at = ctx.now + v.revalidate_every;
  return d;
}

}  // namespace keywarden
