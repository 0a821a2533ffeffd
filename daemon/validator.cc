#include "validator.h"

#include <fmt/format.h>

#include <algorithm>

#include "keywarden/clock.h"

namespace keywarden {
namespace {

bool IsDefinitive(Outcome o) {
  return o == Outcome::kDenied || o == Outcome::kNotFound || o == Outcome::kAuthFailed ||
         o == Outcome::kNoCredit;
}

std::string Message(const std::string& code, const ProviderInfo& p, const std::string& model,
                    const Verdict& v) {
  std::string said = v.detail.empty() ? "" : fmt::format(" (\"{}\")", v.detail);
  if (code == "model_denied") {
    return fmt::format(
        "the key is valid, but {} refuses it for {}{}; allow this model for the key (for "
        "OpenRouter: the key's provider and model restrictions) or use a key that may use it",
        p.display_name, model, said);
  }
  if (code == "model_not_found") {
    return fmt::format("{} does not know the model {}{}; check the id against the provider's list",
                       p.display_name, model, said);
  }
  if (code == "no_credit") {
    return fmt::format("{} says the account has no credit{}; add credit or billing", p.display_name,
                       said);
  }
  if (code == "key_limit_exceeded") {
    return fmt::format("the key's own spending limit is used up{}; raise it at {}", said,
                       p.display_name);
  }
  if (code == "rate_limited") {
    return fmt::format("{} rate-limited the check{}; keywarden retries later", p.display_name, said);
  }
  if (code == "invalid_key") {
    return fmt::format("{} rejects this key{}", p.display_name, said);
  }
  return fmt::format("{}{}", code, said);
}

// One run of the ladder; owns itself through the callbacks it queues.
class LadderRun : public std::enable_shared_from_this<LadderRun> {
 public:
  LadderRun(HttpClient& http, const Catalogue& catalogue, const Config& config, LadderInput input,
            std::function<void(LadderObservation)> done)
      : http_(http),
        catalogue_(catalogue),
        config_(config),
        input_(std::move(input)),
        provider_(*input_.target.provider),
        done_(std::move(done)) {}

  void Start() {
    std::optional<HttpRequest> auth = BuildAuthProbe(input_.target, Key());
    if (!auth) {
      StartModels();
      return;
    }
    http_.Send(std::move(*auth), [self = shared_from_this()](HttpResponse r) { self->OnAuth(r); });
  }

 private:
  std::string_view Key() const { return input_.key->view(); }

  Check Record(const std::string& model, const Verdict& v, const HttpResponse& r) {
    if (!v.diagnosis.empty() && v.diagnosis != "invalid_key") {
      AddDiagnosis(v.diagnosis, Message(v.diagnosis, provider_, model, v));
    }
    if (v.retry_after && (!obs_.retry_after || *v.retry_after > *obs_.retry_after)) {
      obs_.retry_after = v.retry_after;
    }
    return Check{model, v.outcome, r.status, v.detail, NowSeconds()};
  }

  void AddDiagnosis(const std::string& code, std::string message) {
    for (Diagnosis& d : obs_.diagnoses) {
      if (d.code == code) {
        if (d.message.find(message) == std::string::npos) d.message += "; " + message;
        return;
      }
    }
    obs_.diagnoses.push_back({code, std::move(message)});
  }

  void OnAuth(const HttpResponse& r) {
    Verdict v = Classify(provider_, ProbeStage::kAuth, r);
    obs_.auth = Record("", v, r);
    auth_failure_detail_ = v;
    if (v.outcome == Outcome::kOk) {
      StartModels();
    } else if (v.outcome == Outcome::kAuthFailed) {
      TryOtherHost();
    } else {
      Finish();
    }
  }

  void StartModels() {
    obs_.models.resize(input_.models.size());
    std::optional<HttpRequest> list = BuildListProbe(input_.target, Key());
    bool wants_aliases = list && provider_.spec.value("aliases", nlohmann::json::object()).value("source", "none") != "none";
    outstanding_ = (input_.list_only ? 0 : input_.models.size()) + ((input_.list_only || wants_aliases) && list ? 1 : 0);
    if (outstanding_ == 0) {
      for (size_t i = 0; i < input_.models.size(); ++i) {
        obs_.models[i] = Check{input_.models[i], Outcome::kUnavailable, 0,
                               "no free model list on this endpoint; use --probe complete",
                               NowSeconds()};
      }
      Finish();
      return;
    }
    if (list && (input_.list_only || wants_aliases)) {
      http_.Send(std::move(*list), [self = shared_from_this()](HttpResponse r) { self->OnList(r); });
    }
    if (input_.list_only) return;
    for (size_t i = 0; i < input_.models.size(); ++i) {
      ++obs_.billed_probes;
      http_.Send(BuildModelProbe(input_.target, input_.models[i], Key()),
                 [self = shared_from_this(), i](HttpResponse r) { self->OnModel(i, r); });
    }
  }

  void OnModel(size_t i, const HttpResponse& r) {
    const std::string& model = input_.models[i];
    Verdict v = Classify(provider_, ProbeStage::kModel, r);
    if (v.outcome == Outcome::kAuthFailed && obs_.auth && obs_.auth->outcome == Outcome::kOk) {
      // The key authenticated a moment ago: a 401 for this model is a
      // refusal of the model (OpenRouter's "No auth credentials found").
      v.outcome = Outcome::kDenied;
      v.diagnosis = "model_denied";
    } else if (v.outcome == Outcome::kAuthFailed) {
      auth_failure_detail_ = v;
    }
    obs_.models[i] = Record(model, v, r);
    OneDone();
  }

  void OnList(const HttpResponse& r) {
    Verdict v = Classify(provider_, ProbeStage::kList, r);
    std::optional<ModelList> list;
    if (v.outcome == Outcome::kOk) list = ParseModelList(provider_, r);
    for (size_t i = 0; i < input_.models.size(); ++i) {
      const std::string& model = input_.models[i];
      std::optional<std::string> pinned;
      if (list && list->aliases.count(model)) pinned = list->aliases.at(model);
      if (!pinned) pinned = KnownAlias(provider_, model);
      if (pinned && *pinned != model) {
        AddDiagnosis("model_alias",
                     fmt::format("{} is an alias that now points to {}; aliases move when the "
                                 "provider ships a new version, so pin {} for stable behaviour",
                                 model, *pinned, *pinned));
      }
      if (!input_.list_only) continue;
      Verdict listed = v;
      if (v.outcome == Outcome::kOk && list) {
        bool known = list->ids.count(model) || list->aliases.count(model);
        listed.outcome = known ? Outcome::kOk : Outcome::kNotFound;
        listed.detail = known ? "" : "not in the provider's model list for this key";
        listed.diagnosis = known ? "" : "model_not_found";
      }
      obs_.models[i] = Record(model, listed, r);
    }
    OneDone();
  }

  void OneDone() {
    if (--outstanding_ > 0) return;
    bool all_auth_failed =
        !obs_.auth && !obs_.models.empty() &&
        std::all_of(obs_.models.begin(), obs_.models.end(),
                    [](const Check& c) { return c.outcome == Outcome::kAuthFailed; });
    if (all_auth_failed) {
      TryOtherHost();
    } else {
      Finish();
    }
  }

  void TryOtherHost() {
    std::optional<OtherHostProbe> other = BuildOtherHostProbe(catalogue_, config_, input_.target, Key());
    if (!other) {
      Finish();
      return;
    }
    std::string endpoint = other->endpoint, code = other->diagnosis;
    http_.Send(std::move(other->request),
               [self = shared_from_this(), endpoint, code](HttpResponse r) {
                 Verdict v = Classify(self->provider_, ProbeStage::kOtherHost, r);
                 if (v.outcome == Outcome::kOk) self->obs_.wrong_endpoint = self->WrongEndpoint(endpoint, code);
                 self->Finish();
               });
  }

  Diagnosis WrongEndpoint(const std::string& works, const std::string& code) {
    const std::string& here = input_.target.endpoint;
    if (code == "codestral_key_on_general_endpoint") {
      return {code, fmt::format("api.mistral.ai refuses this key but codestral.mistral.ai accepts "
                                "it: it is a Codestral key. Use --endpoint codestral; tools such as "
                                "Cline send Mistral keys to api.mistral.ai unless given the "
                                "Codestral base URL (keywarden export sets it)")};
    }
    return {code, fmt::format("the {} endpoint refuses this key but the {} endpoint accepts it: "
                              "it is a general Mistral key. Use --endpoint {} or a Codestral key "
                              "from the Codestral section of the Mistral console",
                              here, works, works)};
  }

  void Finish() {
    if (obs_.auth && obs_.auth->outcome == Outcome::kAuthFailed) {
      obs_.diagnoses.push_back({"invalid_key", Message("invalid_key", provider_, "", auth_failure_detail_)});
    }
    done_(std::move(obs_));
  }

  HttpClient& http_;
  const Catalogue& catalogue_;
  const Config& config_;
  LadderInput input_;
  const ProviderInfo& provider_;
  std::function<void(LadderObservation)> done_;
  LadderObservation obs_;
  Verdict auth_failure_detail_;
  size_t outstanding_ = 0;
};

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

void Validator::Run(LadderInput input, std::function<void(LadderObservation)> done) {
  std::make_shared<LadderRun>(http_, catalogue_, config_, std::move(input), std::move(done))->Start();
}

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

  bool auth_failed =
      (obs.auth && obs.auth->outcome == Outcome::kAuthFailed) ||
      (!obs.auth && !obs.models.empty() &&
       std::all_of(obs.models.begin(), obs.models.end(),
                   [](const Check& c) { return c.outcome == Outcome::kAuthFailed; }));
  if (obs.wrong_endpoint) {
    std::erase_if(d.diagnoses, [](const Diagnosis& x) { return x.code == "invalid_key"; });
    definitive(*obs.wrong_endpoint);
    return d;
  }
  if (auth_failed) {
    bool in_window = !ctx.is_current && ctx.now < ctx.created_at + ctx.activation_window;
    if (in_window) {
      std::erase_if(d.diagnoses, [](const Diagnosis& x) { return x.code == "invalid_key"; });
      int64_t delay = Backoff(v, ctx.attempts, obs.retry_after, bound);
      d.diagnoses.insert(
          d.diagnoses.begin(),
          {"not_yet_active",
           fmt::format("the provider refused the key; new keys can take up to {} to activate. "
                       "keywarden re-checks at {} and until {}",
                       FormatDuration(ctx.activation_window), FormatTime(ctx.now + delay),
                       FormatTime(ctx.created_at + ctx.activation_window))});
      retry(delay);
      return d;
    }
    if (!ctx.previous_auth_failed) {
      // One 401 never fails a key: confirm after a short delay.
      // The marker diagnosis is what tells the next run that this is the
      // second failure in a row.
      d.keep_previous_checks = true;
      d.diagnoses = ctx.previous_diagnoses;
      std::erase_if(d.diagnoses, [](const Diagnosis& x) { return x.code == "invalid_key"; });
      d.diagnoses.push_back({"invalid_key", fmt::format("the provider refused the key once; "
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
