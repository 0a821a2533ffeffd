// The validation decision rules of DESIGN.md, as a pure function.
#include <gtest/gtest.h>

#include <algorithm>

#include "keywarden/clock.h"
#include "validation/validator.h"

namespace keywarden {
namespace {

class DecideTest : public ::testing::Test {
 protected:
  DecideTest() {
    validation_.retry_min = 15;
    validation_.retry_max = 300;
    validation_.revalidate_every = 86400;
    ctx_.now = 1000;
    ctx_.created_at = 990;
    ctx_.activation_window = 600;
    ctx_.validation = &validation_;
  }

  static Check MakeCheck(std::string model, Outcome outcome, int status = 200) {
    return Check{std::move(model), outcome, status, "", 1000};
  }

  ValidationConfig validation_;
  DecisionContext ctx_;
};

TEST_F(DecideTest, AllOkVerifiesAndSchedulesRevalidation) {
  LadderObservation obs;
  obs.auth = MakeCheck("", Outcome::kOk);
  obs.models = {MakeCheck("a", Outcome::kOk), MakeCheck("b", Outcome::kOk)};
  Decision d = Decide(obs, ctx_);
  EXPECT_EQ(d.state, VersionState::kVerified);
  EXPECT_EQ(d.next_check_at, 1000 + 86400);
  EXPECT_EQ(d.attempts, 0);
  EXPECT_EQ(d.checks.size(), 3u);
}

TEST_F(DecideTest, AuthFailureInsideTheActivationWindowStaysPendingWithBackoff) {
  LadderObservation obs;
  obs.auth = MakeCheck("", Outcome::kAuthFailed, 401);
  ctx_.attempts = 3;
  Decision d = Decide(obs, ctx_);
  EXPECT_EQ(d.state, VersionState::kPending);
  // 15 s doubled three times, plus the second that keeps a retry at least
  // its delay after a truncated now.
  EXPECT_EQ(d.next_check_at, 1000 + 120 + 1);
  ASSERT_FALSE(d.diagnoses.empty());
  EXPECT_EQ(d.diagnoses.front().code, "not_yet_active");
}

TEST_F(DecideTest, BackoffIsCappedAtRetryMax) {
  LadderObservation obs;
  obs.auth = MakeCheck("", Outcome::kAuthFailed, 401);
  ctx_.attempts = 20;
  EXPECT_EQ(Decide(obs, ctx_).next_check_at, 1000 + 300 + 1);
}

TEST_F(DecideTest, TheNextActivationCheckNeverLiesBeyondTheWindowEnd) {
  LadderObservation obs;
  obs.auth = MakeCheck("", Outcome::kAuthFailed, 401);
  ctx_.attempts = 20;  // a backoff of retry_max (300 s), past the window's end
  ctx_.now = 1500;
  Decision d = Decide(obs, ctx_);
  EXPECT_EQ(d.state, VersionState::kPending);
  EXPECT_EQ(d.next_check_at, 990 + 600);
  ASSERT_FALSE(d.diagnoses.empty());
  // One sentence: the next check, then the end of the window, in that order.
  const std::string& text = d.diagnoses.front().message;
  EXPECT_NE(text.find("next check at " + FormatTime(1590) + ", giving up at " + FormatTime(1590) +
                      " (activation window 10m)"),
            std::string::npos)
      << text;
}

TEST_F(DecideTest, AKeyShapedLikeAnotherProvidersGetsNoActivationWait) {
  LadderObservation obs;
  obs.auth = MakeCheck("", Outcome::kAuthFailed, 401);
  for (const char* code : {"looks_like_other_provider", "malformed_key"}) {
    ctx_.previous_diagnoses = {{code, "…"}};
    ctx_.previous_auth_failed = false;
    Decision d = Decide(obs, ctx_);
    EXPECT_TRUE(std::none_of(d.diagnoses.begin(), d.diagnoses.end(), [](const Diagnosis& x) {
      return x.code == "not_yet_active";
    })) << code;
    EXPECT_EQ(d.next_check_at, 1000 + 15 + 1) << "confirmed once, after retry_min";
    ctx_.previous_auth_failed = true;
    EXPECT_EQ(Decide(obs, ctx_).state, VersionState::kFailed) << code;
  }
}

TEST_F(DecideTest, FirstAuthFailureAfterTheWindowIsConfirmedNotFailed) {
  LadderObservation obs;
  obs.auth = MakeCheck("", Outcome::kAuthFailed, 401);
  ctx_.created_at = 0;
  Decision d = Decide(obs, ctx_);
  EXPECT_NE(d.state, VersionState::kFailed);
  EXPECT_TRUE(d.keep_previous_checks);
  EXPECT_EQ(d.next_check_at, 1000 + 15 + 1);
  ctx_.previous_auth_failed = true;
  Decision second = Decide(obs, ctx_);
  EXPECT_EQ(second.state, VersionState::kFailed);
  EXPECT_TRUE(second.definitive_failure);
  EXPECT_FALSE(second.next_check_at.has_value());
}

TEST_F(DecideTest, RateLimitIsInconclusiveAndHonoursRetryAfterUpToRetryMax) {
  LadderObservation obs;
  obs.auth = MakeCheck("", Outcome::kOk);
  obs.models = {MakeCheck("a", Outcome::kRateLimited, 429)};
  obs.retry_after = std::chrono::milliseconds(200 * 1000);
  Decision d = Decide(obs, ctx_);
  EXPECT_EQ(d.state, VersionState::kPending);
  EXPECT_EQ(d.next_check_at, 1000 + 200 + 1);
  obs.retry_after = std::chrono::milliseconds(1500);  // a fraction rounds up, above retry_min
  EXPECT_EQ(Decide(obs, ctx_).next_check_at, 1000 + 15 + 1);
}

// Issue 18 item 9: a Retry-After of 10^20 s scheduled the next check in
// the year 33715. A key being activated is checked again within retry_max.
TEST_F(DecideTest, HugeRetryAfterIsClampedToRetryMaxWhileActivating) {
  LadderObservation obs;
  obs.auth = MakeCheck("", Outcome::kOk);
  obs.models = {MakeCheck("a", Outcome::kRateLimited, 429)};
  for (int64_t ms : {int64_t{3600} * 1000, int64_t{1'000'000'000'000'000}}) {
    obs.retry_after = std::chrono::milliseconds(ms);
    SCOPED_TRACE(ms);
    EXPECT_EQ(Decide(obs, ctx_).next_check_at, 1000 + 300 + 1);
  }
  // The same inside the activation window, after an auth failure.
  LadderObservation refused;
  refused.auth = MakeCheck("", Outcome::kAuthFailed, 401);
  refused.retry_after = std::chrono::milliseconds(1'000'000'000'000'000);
  EXPECT_EQ(Decide(refused, ctx_).next_check_at, 1000 + 300 + 1);
}

TEST_F(DecideTest, HugeRetryAfterIsClampedToTheRevalidationPeriodForAServedKey) {
  LadderObservation obs;
  obs.auth = MakeCheck("", Outcome::kOk);
  obs.models = {MakeCheck("a", Outcome::kRateLimited, 429)};
  obs.retry_after = std::chrono::milliseconds(1'000'000'000'000'000);
  ctx_.is_current = true;
  ctx_.state = VersionState::kVerified;
  EXPECT_EQ(Decide(obs, ctx_).next_check_at, 1000 + 86400 + 1);
  // Below the period, the provider's word still wins over retry_max.
  obs.retry_after = std::chrono::milliseconds(3600 * 1000);
  EXPECT_EQ(Decide(obs, ctx_).next_check_at, 1000 + 3600 + 1);
}

TEST_F(DecideTest, DeniedModelFailsAPendingVersion) {
  LadderObservation obs;
  obs.auth = MakeCheck("", Outcome::kOk);
  obs.models = {MakeCheck("a", Outcome::kOk), MakeCheck("b", Outcome::kDenied, 401)};
  Decision d = Decide(obs, ctx_);
  EXPECT_EQ(d.state, VersionState::kFailed);
  EXPECT_TRUE(d.definitive_failure);
}

TEST_F(DecideTest, ServedVersionStaysVerifiedButFailsItsChecksAndIsWatched) {
  LadderObservation obs;
  obs.auth = MakeCheck("", Outcome::kOk);
  obs.models = {MakeCheck("a", Outcome::kNoCredit, 429)};
  ctx_.is_current = true;
  ctx_.state = VersionState::kVerified;
  Decision d = Decide(obs, ctx_);
  EXPECT_EQ(d.state, VersionState::kVerified);
  EXPECT_TRUE(d.definitive_failure);
  EXPECT_EQ(d.next_check_at, 1000 + 86400);
}

TEST_F(DecideTest, WrongMistralHostIsDefinitiveAndNamed) {
  LadderObservation obs;
  obs.auth = MakeCheck("", Outcome::kAuthFailed, 401);
  obs.wrong_endpoint = Diagnosis{"codestral_key_on_general_endpoint", "use --endpoint codestral"};
  Decision d = Decide(obs, ctx_);
  EXPECT_EQ(d.state, VersionState::kFailed);
  EXPECT_EQ(d.diagnoses.front().code, "codestral_key_on_general_endpoint");
}

}  // namespace
}  // namespace keywarden
