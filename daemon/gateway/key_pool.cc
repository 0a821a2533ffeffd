#include "gateway/key_pool.h"

#include <fmt/format.h>

#include <algorithm>

#include "log.h"

namespace keywarden::gateway {
namespace {

// What an outcome other than ok is called in the 403, and what to do.
std::pair<std::string, std::string> Diagnose(Outcome outcome, const std::string& ref) {
  switch (outcome) {
    case Outcome::kDenied:
      return {"model_denied",
              fmt::format("allow the model for this key at the provider, then run `keywarden "
                          "validate {}`, or use a model the key may use",
                          ref)};
    case Outcome::kNotFound:
      return {"model_not_found",
              fmt::format("check the model id; `keywarden show {}` lists what was checked", ref)};
    case Outcome::kAuthFailed:
      return {"invalid_key", fmt::format("put a working key in: `keywarden rotate {}`", ref)};
    case Outcome::kNoCredit:
      return {"no_credit",
              fmt::format("add credit at the provider, then run `keywarden validate {}`", ref)};
    case Outcome::kRateLimited:
      return {"rate_limited",
              fmt::format("wait for the next check, or run `keywarden validate {}`", ref)};
    case Outcome::kUnavailable:
      return {"unavailable",
              fmt::format("the last check got no answer; run `keywarden validate {}`", ref)};
    case Outcome::kOk:
      break;
  }
  return {"ok", ""};
}

}  // namespace

KeyPool::KeyPool(SlotStore& store, const std::optional<Keyring>& keyring, const Config& config,
                 const Catalogue& catalogue)
    : store_(store), keyring_(keyring), config_(config), catalogue_(catalogue) {}

void KeyPool::Clear() {
  envs_.clear();  // the secrets' buffers wipe themselves once no request holds them
  generation_ = 0;
}

const std::vector<KeyPool::Entry>* KeyPool::Load(const EnvKey& key, std::string* error) {
  const uint64_t generation = store_.Generation();
  if (generation != generation_) {
    envs_.clear();
    generation_ = generation;
  }
  if (auto it = envs_.find(key); it != envs_.end()) return &it->second;
  SlotFilter filter;
  filter.env = key.second;
  filter.owner_uid = key.first;
  Result<std::vector<Slot>> slots = store_.ListSlots(filter);
  if (!slots) {
    *error = slots.error().message;
    return nullptr;
  }
  std::vector<Entry> entries;
  for (Slot& slot : *slots) {
    Entry entry;
    entry.unusable = slot.UnusableReason();
    auto shared = std::make_shared<const Slot>(std::move(slot));
    entry.slot = shared;
    const ProviderInfo* provider = catalogue_.Find(shared->provider);
    if (entry.unusable.empty() && provider == nullptr) entry.unusable = "unknown provider";
    if (entry.unusable.empty() && keyring_) {
      const Version* current = shared->FindVersion(*shared->current_version);
      Result<std::pair<Slot, SealedSecret>> sealed = store_.GetSlotAndSealed(
          shared->key(), [current](const Slot&) -> Result<int64_t> { return current->id; });
      Result<std::string> base = catalogue_.BaseUrl(*provider, shared->endpoint, config_);
      Result<SecretBuffer> secret = sealed ? keyring_->Unseal(sealed->second)
                                           : Result<SecretBuffer>(std::unexpected(sealed.error()));
      if (!base) {
        entry.unusable = base.error().message;
      } else if (!secret) {
        entry.unusable = "its secret cannot be read: " + secret.error().message;
        log::Error("gateway: a key cannot be unsealed",
                   {{"slot", shared->ref.str()}, {"error", secret.error().message}});
      } else {
        auto candidate = std::make_shared<Candidate>();
        candidate->slot = shared;
        candidate->version = current->number;
        candidate->version_id = current->id;
        candidate->fingerprint = current->fingerprint;
        candidate->base_url = std::move(*base);
        candidate->secret = std::make_shared<const SecretBuffer>(std::move(*secret));
        entry.candidate = std::move(candidate);
      }
    }
    entries.push_back(std::move(entry));
  }
  return &envs_.emplace(key, std::move(entries)).first->second;
}

bool KeyPool::Matches(const Slot& slot, const Route& route, const std::string& route_url) const {
  if (slot.provider != route.provider->id) return false;
  // openai-compatible: the route names the slot; its endpoint is its own URL.
  if (route.provider->custom_url) return slot.ref.name == route.endpoint;
  Result<std::string> url = catalogue_.BaseUrl(*route.provider, slot.endpoint, config_);
  return url && *url == route_url;
}

Choice KeyPool::Choose(const Scope& scope, const Route& route, const std::string& model,
                       int64_t now) {
  Choice choice;
  if (!keyring_) {
    Clear();
    choice.status = 503;
    choice.message = "keywarden: keywardend is sealed; run `keywarden unlock`";
    return choice;
  }
  std::string error;
  const std::vector<Entry>* entries = Load({scope.owner_uid, scope.env}, &error);
  if (entries == nullptr) {
    choice.status = 503;
    choice.message = "keywarden: cannot read the slots: " + error;
    return choice;
  }
  std::string route_url;
  if (!route.provider->custom_url) {
    Result<std::string> url = catalogue_.BaseUrl(*route.provider, route.endpoint, config_);
    route_url = url ? *url : std::string();
  }
  std::vector<std::string> reasons;
  std::vector<std::shared_ptr<const Candidate>> ready, cooling;
  for (const Entry& entry : *entries) {
    const Slot& slot = *entry.slot;
    if (!scope.slots.empty() &&
        std::find(scope.slots.begin(), scope.slots.end(), slot.ref.name) == scope.slots.end()) {
      continue;
    }
    if (!Matches(slot, route, route_url)) continue;
    const std::string ref = slot.ref.str();
    if (!entry.candidate) {
      // A key refused for this very model says so (the first seed story:
      // a key denied for Gemini fails its validation).
      const Version* newest =
          slot.current_version ? slot.FindVersion(*slot.current_version) : slot.Newest();
      const Check* refused = nullptr;
      if (newest != nullptr && !model.empty()) {
        for (const Check& check : newest->checks) {
          if (!check.model.empty() && check.outcome != Outcome::kOk &&
              SameModel(*route.provider, check.model, model)) {
            refused = &check;
          }
        }
      }
      if (refused != nullptr) {
        auto [code, fix] = Diagnose(refused->outcome, ref);
        reasons.push_back(fmt::format("{} is {} for {}; {}", ref, code, model, fix));
      } else {
        reasons.push_back(
            fmt::format("{} is not usable: {}; see `keywarden show {}`", ref,
                        entry.unusable.empty() ? std::string("sealed") : entry.unusable, ref));
      }
      continue;
    }
    if (!model.empty()) {
      const Version* current = slot.FindVersion(entry.candidate->version);
      const Check* found = nullptr;
      for (const Check& check : current->checks) {
        if (!check.model.empty() && SameModel(*route.provider, check.model, model)) {
          found = &check;
          break;
        }
      }
      if (found == nullptr) {
        reasons.push_back(fmt::format(
            "{} has not been checked for {}; add the model: `keywarden set {} --add-model {}`", ref,
            model, ref, model));
        continue;
      }
      if (found->outcome != Outcome::kOk) {
        auto [code, fix] = Diagnose(found->outcome, ref);
        reasons.push_back(fmt::format("{} is {} for {}; {}", ref, code, model, fix));
        continue;
      }
    }
    auto cooled = cooled_.find(entry.candidate->version_id);
    if (cooled != cooled_.end() && cooled->second > now) {
      cooling.push_back(entry.candidate);
    } else {
      if (cooled != cooled_.end()) cooled_.erase(cooled);
      ready.push_back(entry.candidate);
    }
  }
  if (ready.empty() && cooling.empty()) {
    choice.status = 403;
    if (reasons.empty()) {
      choice.message = fmt::format(
          "keywarden: no slot of {} holds a {} key for endpoint {}{}; add one: `keywarden add "
          "{}/NAME --provider {}`",
          scope.env, route.provider->id, route.endpoint,
          scope.slots.empty() ? "" : " among the token's slots", scope.env, route.provider->id);
    } else {
      std::string joined;
      for (const std::string& reason : reasons) joined += (joined.empty() ? "" : "; ") + reason;
      choice.message = "keywarden: " + joined;
    }
    return choice;
  }
  // In turn: each request starts one further along the list.
  const std::string turn_key = fmt::format("{}:{}:{}:{}:{}", scope.owner_uid, scope.env,
                                           route.provider->id, route.endpoint, model);
  const uint64_t turn = turn_[turn_key]++;
  if (turn_.size() > 4096) turn_.clear();
  for (auto* list : {&ready, &cooling}) {
    if (list->empty()) continue;
    std::rotate(list->begin(), list->begin() + static_cast<ptrdiff_t>(turn % list->size()),
                list->end());
    for (auto& candidate : *list) {
      if (choice.order.size() < kMaxTries) choice.order.push_back(candidate);
    }
  }
  return choice;
}

}  // namespace keywarden::gateway
