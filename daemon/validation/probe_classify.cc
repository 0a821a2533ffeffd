// Classify of probe.h: one response to an outcome, by the catalogue's
// status_rules first and by HTTP convention after.
#include <fmt/format.h>

#include "validation/probe.h"
#include "validation/probe_detail.h"

namespace keywarden {
namespace {

using Json = nlohmann::json;

bool IsSuccess(int status) { return status >= 200 && status < 300; }

// A rule's "probe" field: "model" is the billed model probe, "auth" every
// other call (the auth probe, the model list and the other-host probe).
bool RuleAppliesTo(const Json& rule, ProbeStage stage) {
  auto it = rule.find("probe");
  if (it == rule.end() || !it->is_string()) return true;
  return (*it == "model") == (stage == ProbeStage::kModel);
}

// The first status rule matching; nullptr when none does.
const Json* MatchRule(const ProviderInfo& provider, ProbeStage stage, int status,
                      std::string_view body) {
  auto rules = provider.spec.find("status_rules");
  if (rules == provider.spec.end() || !rules->is_array()) return nullptr;
  for (const Json& rule : *rules) {
    if (!rule.is_object() || rule.value("status", 0) != status) continue;
    if (!RuleAppliesTo(rule, stage)) continue;
    auto needle = rule.find("body_contains");
    if (needle != rule.end() && needle->is_string() &&
        body.find(needle->get<std::string>()) == std::string_view::npos) {
      continue;
    }
    return &rule;
  }
  return nullptr;
}

// What a status means when no rule names it: the conventions the official
// SDKs retry by (408, 409, 429, 5xx) plus the plain meanings.
Outcome DefaultOutcome(int status) {
  if (status == 401 || status == 403) return Outcome::kAuthFailed;
  if (status == 404) return Outcome::kNotFound;
  if (status == 402) return Outcome::kNoCredit;
  if (status == 408 || status == 409 || status == 429) return Outcome::kRateLimited;
  return Outcome::kUnavailable;
}

// The status an error object inside a 2xx body stands for (OpenRouter,
// once a model has started: {"error":{"code":429,…}}); 0 when there is no
// error object, 500 when its code is not an HTTP status.
int ErrorStatusIn2xx(const Json& body) {
  if (!body.is_object()) return 0;
  auto error = body.find("error");
  if (error == body.end() || error->is_null()) return 0;
  if (error->is_object()) {
    auto code = error->find("code");
    if (code != error->end() && code->is_number_integer()) {
      int value = code->get<int>();
      if (value >= 400 && value <= 599) return value;
    }
  }
  return 500;
}

// Auth probes that answer 200 yet say the key cannot spend: OpenRouter's
// GET /key with data.limit_remaining <= 0 (the key's own cap), DeepSeek's
// GET /user/balance with is_available false.
std::optional<Verdict> SpendSignal(const Json& body) {
  if (!body.is_object()) return std::nullopt;
  auto data = body.find("data");
  if (data != body.end() && data->is_object()) {
    auto remaining = data->find("limit_remaining");
    if (remaining != data->end() && remaining->is_number() && remaining->get<double>() <= 0) {
      return Verdict{Outcome::kNoCredit,
                     fmt::format("the key's spending limit is used up (limit_remaining {})",
                                 remaining->dump()),
                     "key_limit_exceeded", std::nullopt};
    }
  }
  auto available = body.find("is_available");
  if (available != body.end() && available->is_boolean() && !available->get<bool>()) {
    return Verdict{Outcome::kNoCredit,
                   "the balance cannot be used for API calls (is_available false)", "no_credit",
                   std::nullopt};
  }
  return std::nullopt;
}

}  // namespace

Verdict Classify(const ProviderInfo& provider, ProbeStage stage, const HttpResponse& response) {
  Verdict verdict;
  if (response.status == 0) {
    verdict.outcome = Outcome::kUnavailable;
    verdict.detail = response.timed_out       ? "timed out"
                     : response.error.empty() ? "no answer"
                                              : response.error;
    if (response.unreachable) verdict.diagnosis = "endpoint_unreachable";
    return verdict;
  }
  const Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  int status = response.status;
  if (IsSuccess(status)) {
    status = ErrorStatusIn2xx(body);
    if (status == 0) {
      if (stage == ProbeStage::kAuth) {
        if (auto signal = SpendSignal(body)) return *signal;
      }
      return Verdict{Outcome::kOk, "", "", std::nullopt};
    }
  }

  if (const Json* rule = MatchRule(provider, stage, status, response.body)) {
    verdict.outcome = OutcomeFromName(rule->value("outcome", "")).value_or(Outcome::kUnavailable);
    verdict.diagnosis = rule->value("diagnosis", "");
  } else {
    verdict.outcome = DefaultOutcome(status);
  }

  std::string note;
  bool retryable =
      verdict.outcome == Outcome::kRateLimited || verdict.outcome == Outcome::kUnavailable;
  if (probe_detail::ShouldNotRetry(response)) {
    note = " (x-should-retry: false)";
  } else if (retryable) {
    verdict.retry_after = probe_detail::RetryHint(response, body, std::chrono::system_clock::now());
  }
  std::string message = probe_detail::ErrorMessage(provider, body, response.body,
                                                   probe_detail::kMaxDetail - note.size());
  if (message.empty()) message = fmt::format("HTTP {}", response.status);
  verdict.detail = message + note;
  return verdict;
}

}  // namespace keywarden
