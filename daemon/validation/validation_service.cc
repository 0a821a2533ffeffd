#include "validation/validation_service.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "keywarden/clock.h"
#include "keywarden/slot_json.h"
#include "log.h"

namespace keywarden {
namespace {

HttpOptions MakeHttpOptions(const Config& config) {
  HttpOptions options;
  options.timeout = std::chrono::seconds(config.validation.timeout);
  options.connect_timeout = std::chrono::seconds(std::min<int64_t>(10, config.validation.timeout));
  options.max_per_endpoint = static_cast<size_t>(config.validation.concurrency_per_endpoint);
  options.ca_file = config.validation.ca_file;
  return options;
}

bool AuthFailed(const std::vector<Check>& checks) {
  bool has_auth = false, all_models_failed = !checks.empty();
  for (const Check& c : checks) {
    if (c.model.empty()) {
      has_auth = true;
      if (c.outcome == Outcome::kAuthFailed) return true;
    } else if (c.outcome != Outcome::kAuthFailed) {
      all_models_failed = false;
    }
  }
  return !has_auth && all_models_failed;
}

int64_t ActivationWindow(const Config& config, const ProviderInfo& provider) {
  auto it = config.providers.find(provider.id);
  if (it != config.providers.end() && it->second.activation_window)
    return *it->second.activation_window;
  return provider.activation_window;
}

bool FromFormatCheck(const Diagnosis& d) {
  return d.code == "whitespace_trimmed" || d.code == "looks_like_other_provider" ||
         d.code == "malformed_key";
}

}  // namespace

ValidationRecord IntegrityFailureRecord(const Slot& slot, const Version& version,
                                        const Error& error, int64_t now, uint32_t uid) {
  ValidationRecord record;
  record.version_id = version.id;
  record.state = VersionState::kFailed;
  record.replace_checks = false;
  record.diagnoses.push_back(
      {"integrity", error.message + (error.hint.empty() ? "" : "; " + error.hint)});
  for (const Diagnosis& d : version.diagnoses) {
    if (FromFormatCheck(d)) record.diagnoses.push_back(d);
  }
  record.check_attempts = version.check_attempts;
  if (version.state != VersionState::kFailed) {
    Event e;
    e.at = now;
    e.uid = uid;
    e.owner_uid = slot.owner_uid;
    e.action = "failed";
    e.ref = slot.ref.str();
    e.version = version.number;
    e.fingerprint = version.fingerprint;
    e.detail = "integrity";
    record.events.push_back(std::move(e));
  }
  return record;
}

ValidationService::ValidationService(asio::io_context& io, SlotStore& slots,
                                     ScheduleStore& schedule, const std::optional<Keyring>& keyring,
                                     const Config& config, const Catalogue& catalogue)
    : slots_(slots),
      schedule_(schedule),
      keyring_(keyring),
      config_(config),
      catalogue_(catalogue),
      http_(io, MakeHttpOptions(config)),
      validator_(http_, catalogue, config),
      scheduler_(io, schedule,
                 {[this](const DueCheck& due) { RunCheck(due); },
                  [this](const DueReminder& reminder) { return Remind(reminder); }},
                 3 * config.validation.timeout + 60),
      notifier_(io, config.notify_command) {}

void ValidationService::Announce(const Event& event, std::string_view kind) {
  log::Write(kind == "reminder" ? log::Level::kNotice : log::Level::kWarning, kind,
             {{"ref", event.ref},
              {"owner_uid", event.owner_uid ? std::to_string(*event.owner_uid) : ""},
              {"version", event.version ? std::to_string(*event.version) : ""},
              {"fingerprint", event.fingerprint},
              {"detail", event.detail}});
  Json body = EventToJson(event);
  body["kind"] = kind;
  notifier_.Send(body);
}

bool ValidationService::Remind(const DueReminder& r) {
  int64_t now = NowSeconds();
  bool overdue = now >= r.rotation_due_at;
  Event e;
  e.at = now;
  e.uid = static_cast<uint32_t>(::geteuid());
  e.owner_uid = r.owner_uid;
  e.action = "reminder";
  e.ref = r.ref.str();
  e.version = r.current_version;
  e.fingerprint = r.fingerprint;
  e.detail = overdue ? fmt::format("rotation overdue since {}", FormatTime(r.rotation_due_at))
                     : fmt::format("rotation due at {}", FormatTime(r.rotation_due_at));
  // Before the due time the next reminder is at it; after, every
  // repeat_every counted from now, so downtime gives one reminder, not a burst.
  std::optional<int64_t> next = overdue ? now + config_.repeat_every : r.rotation_due_at;
  if (Status s = schedule_.SetNextReminder(r.slot_id, next, {e}); !s) {
    log::Error("cannot record reminder", {{"ref", e.ref}, {"error", s.error().message}});
    return false;
  }
  Announce(e, "reminder");
  return true;
}

void ValidationService::Stop() {
  scheduler_.Stop();
  http_.Shutdown();
}

Status ValidationService::ValidateNow(const Slot& slot, std::function<void()> done) {
  std::vector<int64_t> ids;
  for (const Version& v : slot.versions) {
    bool checked = (slot.pending_version && v.number == *slot.pending_version) ||
                   (slot.current_version && v.number == *slot.current_version);
    if (checked) ids.push_back(v.id);
  }
  if (ids.empty() && slot.Newest() && slot.Newest()->state != VersionState::kRevoked &&
      slot.Newest()->state != VersionState::kRetired) {
    ids.push_back(slot.Newest()->id);
  }
  if (ids.empty()) {
    return Fail(ErrorCode::kConflict, slot.ref.str() + " has no version to validate",
                "add a new key with `keywarden rotate " + slot.ref.str() + "`");
  }
  auto remaining = std::make_shared<size_t>(ids.size());
  for (int64_t id : ids) {
    if (Status s = schedule_.ScheduleCheck(id, NowSeconds(), true); !s) return s;
    if (done) {
      waiters_.emplace(id, [remaining, done] {
        if (--*remaining == 0) done();
      });
    }
  }
  scheduler_.Poke();
  return {};
}

void ValidationService::SettingsChanged(const std::vector<int64_t>& version_ids) {
  for (int64_t id : version_ids) {
    if (scheduler_.IsRunning(id)) stale_.insert(id);
  }
  scheduler_.Poke();
}

void ValidationService::Release(int64_t version_id) {
  auto [begin, end] = waiters_.equal_range(version_id);
  std::vector<std::function<void()>> callbacks;
  for (auto it = begin; it != end; ++it) callbacks.push_back(std::move(it->second));
  waiters_.erase(begin, end);
  scheduler_.Finished(version_id);
  for (auto& callback : callbacks) callback();
}

void ValidationService::RunCheck(const DueCheck& due) {
  auto give_up = [&](std::string_view why, std::optional<int64_t> retry_in) {
    log::Warning("check not run", {{"ref", due.slot.ref.str()},
                                   {"version", std::to_string(due.version)},
                                   {"reason", std::string(why)}});
    std::optional<int64_t> at;
    if (retry_in) at = NowSeconds() + *retry_in;
    (void)schedule_.ScheduleCheck(due.version_id, at, false);
    Release(due.version_id);
  };
  if (!keyring_) return give_up("sealed", 60);
  auto read = slots_.GetSlotAndSealed(due.slot, [&](const Slot& slot) -> Result<int64_t> {
    const Version* version = slot.FindVersion(due.version);
    if (!version || version->id != due.version_id)
      return Fail(ErrorCode::kNotFound, "version gone");
    if (version->state == VersionState::kRetired || version->state == VersionState::kRevoked) {
      return Fail(ErrorCode::kNotFound, "version no longer served");
    }
    return version->id;
  });
  if (!read) return give_up(read.error().message, std::nullopt);
  const Slot* slot = &read->first;
  const Version* version = slot->FindVersion(due.version);
  const ProviderInfo* provider = catalogue_.Find(slot->provider);
  if (!provider) return give_up("unknown provider " + slot->provider, std::nullopt);
  Result<ProbeTarget> target = ResolveTarget(catalogue_, config_, *provider, slot->endpoint);
  if (!target) return give_up(target.error().message, config_.validation.retry_max);
  Result<SecretBuffer> key = keyring_->Unseal(read->second);
  if (!key) {
    RecordIntegrityFailure(*slot, *version, key.error(), static_cast<uint32_t>(::geteuid()));
    return Release(due.version_id);
  }

  LadderInput input{*target, slot->models, slot->probe == "list",
                    std::make_shared<SecretBuffer>(std::move(*key))};
  validator_.Run(std::move(input), [this, due, slot = *slot,
                                    number = version->number](LadderObservation observation) {
    const Version* v = slot.FindVersion(number);
    Complete(due, slot, *v, observation);
  });
}

void ValidationService::Complete(const DueCheck& due, const Slot& slot, const Version& version,
                                 const LadderObservation& observation) {
  if (stale_.erase(due.version_id) > 0) {
    // Run with the slot's settings before `keywarden set` changed them:
    // its outcome says nothing of the new ones. The check runs again now;
    // its waiters wait for that run.
    log::Info("check result dropped", {{"ref", slot.ref.str()},
                                       {"version", std::to_string(version.number)},
                                       {"reason", "the slot's settings changed while it ran"}});
    if (Status s = schedule_.ScheduleCheck(due.version_id, NowSeconds(), false); !s) {
      log::Error("cannot schedule check", {{"ref", slot.ref.str()}, {"error", s.error().message}});
    }
    scheduler_.Finished(due.version_id);
    return;
  }
  const ProviderInfo* provider = catalogue_.Find(slot.provider);
  DecisionContext ctx;
  ctx.now = NowSeconds();
  ctx.created_at = version.created_at;
  ctx.activation_window = ActivationWindow(config_, *provider);
  ctx.attempts = version.check_attempts;
  ctx.previous_auth_failed =
      AuthFailed(version.checks) ||
      std::any_of(version.diagnoses.begin(), version.diagnoses.end(),
                  [](const Diagnosis& d) { return d.code == "invalid_key"; });
  ctx.previous_diagnoses = version.diagnoses;
  ctx.is_current = slot.current_version == version.number;
  ctx.state = version.state;
  ctx.validation = &config_.validation;
  Decision d = Decide(observation, ctx);

  ValidationRecord record;
  record.version_id = version.id;
  record.state = d.state;
  record.checks = d.checks;
  record.replace_checks = !d.keep_previous_checks;
  record.diagnoses = d.diagnoses;
  // What the format check found at add time stays true whatever the probes say.
  for (const Diagnosis& x : version.diagnoses) {
    if (FromFormatCheck(x) &&
        std::find(record.diagnoses.begin(), record.diagnoses.end(), x) == record.diagnoses.end()) {
      record.diagnoses.push_back(x);
    }
  }
  record.next_check_at = d.next_check_at;
  record.check_attempts = d.attempts;
  record.billed_probes = observation.billed_probes;
  if (d.state == VersionState::kVerified && version.state != VersionState::kVerified) {
    record.verified_at = ctx.now;
  }
  auto event = [&](std::string action, std::string detail) {
    Event e;
    e.at = ctx.now;
    e.uid = static_cast<uint32_t>(::geteuid());
    e.owner_uid = slot.owner_uid;
    e.action = std::move(action);
    e.ref = slot.ref.str();
    e.version = version.number;
    e.fingerprint = version.fingerprint;
    e.detail = std::move(detail);
    record.events.push_back(std::move(e));
  };
  std::string first_code = d.diagnoses.empty() ? "" : d.diagnoses.front().code;
  if (record.verified_at) {
    event("verified", slot.current_version && !ctx.is_current
                          ? fmt::format("promoted over version {}", *slot.current_version)
                          : "");
  } else if (d.state == VersionState::kFailed && version.state != VersionState::kFailed) {
    event("failed", first_code);
  } else if (d.definitive_failure && ctx.is_current) {
    event("alert", "the current key failed revalidation: " + first_code);
  }
  // A promotion leaves every copy of another version stale (docs/copies.md).
  const bool promoted = record.verified_at && slot.pending_version == version.number;
  if (promoted && copies_ != nullptr) {
    Result<std::vector<CopyRecord>> copies =
        copies_->ListCopies({.owner_uid = slot.owner_uid, .ref = slot.ref});
    if (!copies) {
      log::Error("cannot list copies",
                 {{"ref", slot.ref.str()}, {"error", copies.error().message}});
    } else {
      const auto stale = std::count_if(copies->begin(), copies->end(), [&](const CopyRecord& c) {
        return c.version != version.number;
      });
      if (stale > 0) {
        event("copies_stale",
              fmt::format("{} {} of {} hold{} an older version; run `keywarden sync {}`", stale,
                          stale == 1 ? "copy" : "copies", slot.ref.str(), stale == 1 ? "s" : "",
                          slot.ref.str()));
      }
    }
  }
  Status stored = slots_.RecordValidation(record);
  for (const Event& e : record.events) {
    if (stored && (e.action == "failed" || e.action == "alert" || e.action == "copies_stale")) {
      Announce(e, e.action);
    }
  }
  log::Level level = d.definitive_failure ? log::Level::kWarning : log::Level::kInfo;
  log::Write(level, "checked",
             {{"ref", slot.ref.str()},
              {"owner_uid", std::to_string(slot.owner_uid)},
              {"version", std::to_string(version.number)},
              {"fingerprint", version.fingerprint},
              {"state", std::string(VersionStateName(d.state))},
              {"diagnosis", first_code},
              {"next_check_at", d.next_check_at ? FormatTime(*d.next_check_at) : "none"}});
  if (!stored)
    log::Error("cannot store check result",
               {{"ref", slot.ref.str()}, {"error", stored.error().message}});
  Release(due.version_id);
}

void ValidationService::RecordIntegrityFailure(const Slot& slot, const Version& version,
                                               const Error& error, uint32_t uid) {
  ValidationRecord record = IntegrityFailureRecord(slot, version, error, NowSeconds(), uid);
  Status stored = slots_.RecordValidation(record);
  log::Error("integrity check failed", {{"ref", slot.ref.str()},
                                        {"version", std::to_string(version.number)},
                                        {"fingerprint", version.fingerprint},
                                        {"error", error.message}});
  if (!stored) {
    log::Error("cannot store the integrity failure",
               {{"ref", slot.ref.str()}, {"error", stored.error().message}});
    return;
  }
  for (const Event& e : record.events) Announce(e, e.action);
}

void ValidationService::CheckKey(const ProviderInfo& provider, const std::string& endpoint,
                                 const std::vector<std::string>& models, bool list_only,
                                 SecretBuffer key, std::function<void(Result<Json>)> done) {
  Result<ProbeTarget> target = ResolveTarget(catalogue_, config_, provider, endpoint);
  if (!target) return done(std::unexpected(target.error()));
  LadderInput input{*target, models, list_only, std::make_shared<SecretBuffer>(std::move(key))};
  std::string base_url = target->base_url;
  validator_.Run(std::move(input), [this, done, base_url](LadderObservation observation) {
    DecisionContext ctx;
    ctx.now = NowSeconds();
    ctx.created_at = 0;  // the key's age is unknown: no activation window
    ctx.previous_auth_failed = true;
    ctx.validation = &config_.validation;
    Decision d = Decide(observation, ctx);
    std::string verdict = d.state == VersionState::kVerified ? "verified"
                          : d.state == VersionState::kFailed ? "failed"
                                                             : "inconclusive";
    done(Json{{"verdict", verdict},
              {"base_url", base_url},
              {"billed_probes", observation.billed_probes},
              {"checks", ChecksJson(d.checks)},
              {"diagnoses", DiagnosesJson(d.diagnoses)}});
  });
}

}  // namespace keywarden
