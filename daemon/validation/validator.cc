#include "validation/validator.h"

#include <fmt/format.h>

#include <algorithm>

#include "keywarden/clock.h"

namespace keywarden {
namespace {

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
    return fmt::format("{} rate-limited the check{}; keywarden retries later", p.display_name,
                       said);
  }
  if (code == "endpoint_unreachable") {
    return fmt::format(
        "the endpoint cannot be reached{}; check its URL (`keywarden show`) and that "
        "the server runs; keywarden keeps re-checking",
        said);
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
    bool wants_aliases =
        list &&
        provider_.spec.value("aliases", nlohmann::json::object()).value("source", "none") != "none";
    outstanding_ = (input_.list_only ? 0 : input_.models.size()) +
                   ((input_.list_only || wants_aliases) && list ? 1 : 0);
    if (outstanding_ == 0) {
      for (size_t i = 0; i < input_.models.size(); ++i) {
        obs_.models[i] =
            Check{input_.models[i], Outcome::kUnavailable, 0,
                  "no free model list on this endpoint; use --probe complete", NowSeconds()};
      }
      Finish();
      return;
    }
    if (list && (input_.list_only || wants_aliases)) {
      http_.Send(std::move(*list),
                 [self = shared_from_this()](HttpResponse r) { self->OnList(r); });
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
    // A definitive answer no status rule names still gets its diagnosis
    // (a Mistral 404 for a model): one per model and cause, never none.
    if (v.diagnosis.empty()) {
      if (v.outcome == Outcome::kNotFound) v.diagnosis = "model_not_found";
      if (v.outcome == Outcome::kDenied) v.diagnosis = "model_denied";
      if (v.outcome == Outcome::kNoCredit) v.diagnosis = "no_credit";
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
      if (pinned && *pinned != model) aliases_.emplace_back(model, *pinned);
      if (!input_.list_only) continue;
      Verdict listed = v;
      if (v.outcome == Outcome::kOk && list) {
        bool known = list->ids.count(model) || list->aliases.count(model);
        if (!known) {
          absent_.push_back(i);
          continue;  // decided by the catalogue, or below without one
        }
        listed.outcome = Outcome::kOk;
        listed.detail = "";
        listed.diagnosis = "";
      }
      obs_.models[i] = Record(model, listed, r);
    }
    std::optional<HttpRequest> catalogue =
        absent_.empty() ? std::nullopt : BuildCatalogueProbe(input_.target, Key());
    if (catalogue) {
      ++outstanding_;
      http_.Send(std::move(*catalogue),
                 [self = shared_from_this(), r](HttpResponse all) { self->OnCatalogue(r, all); });
    } else {
      DecideAbsent(r, std::nullopt);
    }
    OneDone();
  }

  // The provider's whole list answered: a model it lists that the key's
  // list leaves out is denied to this key; one it does not list is unknown.
  void OnCatalogue(const HttpResponse& key_list, const HttpResponse& all) {
    std::optional<ModelList> catalogue;
    if (Classify(provider_, ProbeStage::kList, all).outcome == Outcome::kOk) {
      catalogue = ParseModelList(provider_, all);
    }
    DecideAbsent(key_list, catalogue);
    OneDone();
  }

  // The models the key's list left out, by the provider's whole list when
  // there is one.
  void DecideAbsent(const HttpResponse& r, const std::optional<ModelList>& catalogue) {
    for (size_t i : absent_) {
      const std::string& model = input_.models[i];
      Verdict v;
      if (catalogue && (catalogue->ids.count(model) || catalogue->aliases.count(model))) {
        v.outcome = Outcome::kDenied;
        v.detail = "listed by the provider but not in this key's model list";
        v.diagnosis = "model_denied";
      } else {
        v.outcome = Outcome::kNotFound;
        v.detail = catalogue ? "not in the provider's model list"
                             : "not in the provider's model list for this key";
        v.diagnosis = "model_not_found";
      }
      obs_.models[i] = Record(model, v, r);
    }
    absent_.clear();
  }

  void OneDone() {
    if (--outstanding_ > 0) return;
    bool all_auth_failed = !obs_.auth && !obs_.models.empty() &&
                           std::all_of(obs_.models.begin(), obs_.models.end(), [](const Check& c) {
                             return c.outcome == Outcome::kAuthFailed;
                           });
    if (all_auth_failed) {
      TryOtherHost();
    } else {
      Finish();
    }
  }

  void TryOtherHost() {
    std::optional<OtherHostProbe> other =
        BuildOtherHostProbe(catalogue_, config_, input_.target, Key());
    if (!other) {
      Finish();
      return;
    }
    std::string endpoint = other->endpoint, code = other->diagnosis;
    http_.Send(std::move(other->request),
               [self = shared_from_this(), endpoint, code](HttpResponse r) {
                 Verdict v = Classify(self->provider_, ProbeStage::kOtherHost, r);
                 if (v.outcome == Outcome::kOk)
                   self->obs_.wrong_endpoint = self->WrongEndpoint(endpoint, code);
                 self->Finish();
               });
  }

  Diagnosis WrongEndpoint(const std::string& works, const std::string& code) {
    const std::string& here = input_.target.endpoint;
    if (code == "codestral_key_on_general_endpoint") {
      return {code,
              fmt::format("api.mistral.ai refuses this key but codestral.mistral.ai accepts "
                          "it: it is a Codestral key. Use --endpoint codestral (`keywarden set` "
                          "changes a stored slot's endpoint in place); tools such as "
                          "Cline send Mistral keys to api.mistral.ai unless given the "
                          "Codestral base URL (keywarden export sets it)")};
    }
    return {code, fmt::format("the {} endpoint refuses this key but the {} endpoint accepts it: "
                              "it is a general Mistral key. Use --endpoint {} (`keywarden set` "
                              "changes a stored slot's endpoint in place) or a Codestral key "
                              "from the Codestral section of the Mistral console",
                              here, works, works)};
  }

  void Finish() {
    // An alias is worth a diagnosis only for a model the key may use: a
    // model the provider does not know, or refuses, has that diagnosis
    // alone (one diagnosis per model per cause).
    for (const auto& [model, pinned] : aliases_) {
      bool failed = std::any_of(obs_.models.begin(), obs_.models.end(), [&](const Check& c) {
        return c.model == model &&
               (c.outcome == Outcome::kNotFound || c.outcome == Outcome::kDenied);
      });
      if (failed) continue;
      AddDiagnosis("model_alias",
                   fmt::format("{} is an alias that now points to {}; aliases move when the "
                               "provider ships a new version, so pin {} for stable behaviour",
                               model, pinned, pinned));
    }
    if (obs_.auth && obs_.auth->outcome == Outcome::kAuthFailed) {
      obs_.diagnoses.push_back(
          {"invalid_key", Message("invalid_key", provider_, "", auth_failure_detail_)});
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
  std::vector<std::pair<std::string, std::string>> aliases_;  // model, the id it points to
  std::vector<size_t> absent_;  // list-only: models the key's list leaves out
  size_t outstanding_ = 0;
};

}  // namespace

void Validator::Run(LadderInput input, std::function<void(LadderObservation)> done) {
  std::make_shared<LadderRun>(http_, catalogue_, config_, std::move(input), std::move(done))
      ->Start();
}

}  // namespace keywarden
