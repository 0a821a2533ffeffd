// RequestHandler: slot.add, slot.list, slot.show, slot.set, slot.rm,
// slot.validate and key.check (docs/protocol.md "Methods").
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "handlers/request_handler.h"
#include "keywarden/clock.h"
#include "keywarden/keyformat.h"
#include "keywarden/slot_json.h"
#include "storage/space_reserve.h"

namespace keywarden {
namespace {

// A duration param (rotate_every, remind_before, grace) in seconds, or
// `fallback` when absent; errors name the CLI option that sends it.
Result<int64_t> OptionalDuration(const std::optional<std::string>& text, std::string_view option,
                                 int64_t fallback) {
  if (!text) return fallback;
  Result<int64_t> seconds = ParseDuration(*text);
  if (!seconds) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("--{}: {}", option, seconds.error().message));
  }
  return *seconds;
}

Status CheckModels(const std::vector<std::string>& models) {
  if (models.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "no models given",
                "name the models this key is meant for, e.g. --models deepseek/deepseek-chat");
  }
  // Each model is a billed probe at every check: the list is bounded.
  if (models.size() > kMaxModels) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} models given, at most {}", models.size(), kMaxModels),
                "list only the models this key is meant for; each one is probed at every check");
  }
  for (size_t i = 0; i < models.size(); ++i) {
    if (std::find(models.begin(), models.begin() + static_cast<std::ptrdiff_t>(i), models[i]) !=
        models.begin() + static_cast<std::ptrdiff_t>(i)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("model \"{}\" is listed twice", models[i].substr(0, 200)),
                  "list each model once");
    }
  }
  for (const std::string& model : models) {
    bool bad = model.empty() || model.size() > 200;
    for (unsigned char c : model) bad = bad || c <= ' ' || c >= 0x7f;
    if (bad) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("model id \"{}\" is not valid", model.substr(0, 200)),
                  "model ids are printable ASCII without spaces, at most 200 characters");
    }
  }
  return {};
}

Status UnknownProvider(const std::string& id) {
  return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown provider \"{}\"", id),
              "`keywarden providers` lists the providers keywarden knows");
}

std::string JoinModels(const std::vector<std::string>& models) {
  std::string out;
  for (const std::string& m : models) out += (out.empty() ? "" : ",") + m;
  return out;
}

// For slot.set: the versions whose checks the slot's settings decide, as
// slot.validate picks them: the pending and current ones, or the newest if
// neither (a first key that failed) unless it is retired or revoked.
std::vector<const Version*> VersionsToRecheck(const Slot& slot) {
  std::vector<const Version*> out;
  for (const Version& v : slot.versions) {
    if ((slot.pending_version && v.number == *slot.pending_version) ||
        (slot.current_version && v.number == *slot.current_version)) {
      out.push_back(&v);
    }
  }
  const Version* newest = slot.Newest();
  if (out.empty() && newest && newest->state != VersionState::kRevoked &&
      newest->state != VersionState::kRetired) {
    out.push_back(newest);
  }
  return out;
}

}  // namespace

Result<AddSlotResult> RequestHandler::AddSlot(AddSlotParams& params, const Peer& peer) {
  Result<SlotRef> ref = ParseRef(params.ref);
  if (!ref) return std::unexpected(ref.error());
  const ProviderInfo* provider = catalogue_.Find(params.provider);
  if (!provider) return std::unexpected(UnknownProvider(params.provider).error());
  if (Status ok = CheckModels(params.models); !ok) return std::unexpected(ok.error());

  Slot slot;
  slot.ref = *ref;
  slot.provider = provider->id;
  slot.models = params.models;
  slot.owner_uid = peer.uid;
  slot.created_at = NowSeconds();
  slot.endpoint = params.endpoint.value_or("default");
  if (Result<std::string> base = catalogue_.BaseUrl(*provider, slot.endpoint, config_); !base) {
    return std::unexpected(base.error());
  }
  slot.probe = params.probe.value_or("complete");
  if (slot.probe != "complete" && slot.probe != "list") {
    return Fail(ErrorCode::kInvalidArgument, "--probe must be \"complete\" or \"list\"");
  }
  const RotationPolicy& defaults = config_.rotation;
  Result<int64_t> rotate_every =
      OptionalDuration(params.rotate_every, "rotate-every", defaults.rotate_every);
  Result<int64_t> remind_before =
      OptionalDuration(params.remind_before, "remind-before", defaults.remind_before);
  Result<int64_t> grace = OptionalDuration(params.grace, "grace", defaults.grace);
  for (const Result<int64_t>* r : {&rotate_every, &remind_before, &grace}) {
    if (!*r) return std::unexpected(r->error());
  }
  slot.policy = {*rotate_every, *remind_before, *grace};

  std::vector<Diagnosis> warnings;
  Result<NewVersion> first = SealVersion(params.secret, *provider, &warnings);
  if (!first) return std::unexpected(first.error());
  first->created_at = slot.created_at;
  first->next_check_at = slot.created_at;

  Result<Slot> stored =
      store_.AddSlot(slot, *first, MakeEvent(peer, "add", slot, 1, first->fingerprint));
  if (!stored) return std::unexpected(stored.error());
  if (validation_) validation_->Poke();
  return AddSlotResult{SlotObjectOf(*stored, NowSeconds()), std::move(warnings)};
}

Result<ListSlotsResult> RequestHandler::ListSlots(ListSlotsParams& params, const Peer& peer) {
  Result<TextPieces> pieces = ListSlotsPieces(params, peer);
  if (!pieces) return std::unexpected(pieces.error());
  std::string text;
  for (;;) {
    Result<bool> more = (*pieces)(text);
    if (!more) return std::unexpected(more.error());
    if (*more) continue;
    // The pieces' own text: an object holding one array.
    ListSlotsResult result;
    if (Status ok = Decode(Json::parse(text, nullptr, false), &result); !ok) {
      return Fail(ErrorCode::kInternal, ok.error().message);
    }
    return result;
  }
}

Result<RequestHandler::TextPieces> RequestHandler::ListSlotsPieces(const ListSlotsParams& params,
                                                                   const Peer& peer) {
  SlotFilter filter;
  Result<std::optional<uint32_t>> scope = OwnerScope(params.owner, peer);
  if (!scope) return std::unexpected(scope.error());
  filter.owner_uid = *scope;
  filter.env = params.env;
  const int max_slots = std::max(1, options_.list_piece_slots);
  const size_t piece_bytes = std::max<size_t>(1, options_.list_piece_bytes);
  // The store may prepare for the whole walk (a large page cache) until
  // the last copy of the pieces goes: the list is done, failed, or its
  // client went away. It refers to the store, not the handler: at shutdown
  // the last copy may go with the io_context's queue, after the handler
  // (the store outlives both). Lists that overlap each hold one.
  std::shared_ptr<LongWalk> walk = store_.BeginLongWalk();
  // One slot in memory at a time: only the piece's text grows.
  return [this, filter, summary = params.summary, now = NowSeconds(), started = false, listed = 0,
          listed_bytes = size_t{0}, max_slots, piece_bytes,
          walk](std::string& out) mutable -> Result<bool> {
    if (!started) out.append("{\"slots\":[");
    started = true;
    // As many slots as make about piece_bytes at the size of those listed
    // so far (1 KiB each, before the first).
    const size_t slot_bytes = listed > 0 ? std::max<size_t>(1, listed_bytes / listed) : 1024;
    filter.limit = static_cast<int>(std::clamp<size_t>(piece_bytes / slot_bytes, 1, max_slots));
    const size_t out_before = out.size();
    int in_piece = 0;
    Status read = store_.ForEachSlot(filter, [&](const Slot& slot) -> Status {
      if (listed++ > 0) out.push_back(',');
      ++in_piece;
      summary ? AppendSlotSummaryJson(out, slot) : AppendSlotJson(out, slot, now);
      filter.after = slot.key();
      return {};
    });
    if (!read) return std::unexpected(read.error());
    listed_bytes += out.size() - out_before;
    if (in_piece == filter.limit) return true;
    out.append("]}");
    return false;
  };
}

Result<SlotResult> RequestHandler::ShowSlot(ShowSlotParams& params, const Peer& peer) {
  Result<Slot> slot = LoadSlot(params.ref, params.owner, peer);
  if (!slot) return std::unexpected(slot.error());
  return SlotResult{SlotObjectOf(*slot, NowSeconds())};
}

Result<SetSlotResult> RequestHandler::SetSlot(SetSlotParams& params, const Peer& peer) {
  const bool model_change = params.models || params.add_model || params.drop_model;
  if (!model_change && !params.endpoint && !params.probe && !params.rotate_every &&
      !params.remind_before && !params.grace) {
    return Fail(ErrorCode::kInvalidArgument, "nothing to change",
                "name what to change: --models, --add-model, --drop-model, --endpoint, --probe, "
                "--rotate-every, --remind-before or --grace");
  }
  Result<Slot> slot = LoadSlot(params.ref, params.owner, peer);
  if (!slot) return std::unexpected(slot.error());
  const ProviderInfo* provider = catalogue_.Find(slot->provider);
  if (!provider) return Fail(ErrorCode::kInternal, "unknown provider " + slot->provider);
  const std::string ref = slot->ref.str();

  SlotChange change;
  std::vector<SlotSettingChange> changes;
  std::vector<std::string> unchanged;  // what was named but is already so

  if (model_change) {
    std::vector<std::string> models = slot->models;
    if (params.models) {
      models = *params.models;
    } else if (params.add_model) {
      if (std::find(models.begin(), models.end(), *params.add_model) == models.end()) {
        models.push_back(*params.add_model);
      }
    } else {
      auto it = std::find(models.begin(), models.end(), *params.drop_model);
      if (it == models.end()) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("model \"{}\" is not one of {}'s models ({})",
                                params.drop_model->substr(0, 200), ref, JoinModels(models)),
                    "`keywarden show " + ref + "` lists its models");
      }
      if (models.size() == 1) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("cannot drop \"{}\": it is the only model of {}", *it, ref),
                    "a slot names at least one model; replace it with --models M[,M…]");
      }
      models.erase(it);
    }
    if (Status ok = CheckModels(models); !ok) return std::unexpected(ok.error());
    if (models != slot->models) {
      changes.push_back({"models", JoinModels(slot->models), JoinModels(models)});
      change.models = std::move(models);
    } else {
      unchanged.push_back("models " + JoinModels(slot->models));
    }
  }
  if (params.endpoint) {
    Result<std::string> base = catalogue_.BaseUrl(*provider, *params.endpoint, config_);
    if (!base) return std::unexpected(base.error());
    if (*params.endpoint != slot->endpoint) {
      changes.push_back({"endpoint", slot->endpoint, *params.endpoint});
      change.endpoint = *params.endpoint;
    } else {
      unchanged.push_back("endpoint " + slot->endpoint);
    }
  }
  if (params.probe) {
    if (*params.probe != "complete" && *params.probe != "list") {
      return Fail(ErrorCode::kInvalidArgument, "--probe must be \"complete\" or \"list\"");
    }
    if (*params.probe != slot->probe) {
      changes.push_back({"probe", slot->probe, *params.probe});
      change.probe = *params.probe;
    } else {
      unchanged.push_back("probe " + slot->probe);
    }
  }
  RotationPolicy policy = slot->policy;
  struct PolicyField {
    const std::optional<std::string>* text;
    const char* option;
    const char* field;
    int64_t RotationPolicy::* member;
  };
  for (const PolicyField& f :
       {PolicyField{&params.rotate_every, "rotate-every", "rotate_every",
                    &RotationPolicy::rotate_every},
        PolicyField{&params.remind_before, "remind-before", "remind_before",
                    &RotationPolicy::remind_before},
        PolicyField{&params.grace, "grace", "grace", &RotationPolicy::grace}}) {
    Result<int64_t> seconds = OptionalDuration(*f.text, f.option, slot->policy.*f.member);
    if (!seconds) return std::unexpected(seconds.error());
    if (!*f.text) continue;
    if (*seconds != slot->policy.*f.member) {
      changes.push_back(
          {f.field, FormatDuration(slot->policy.*f.member), FormatDuration(*seconds)});
      policy.*f.member = *seconds;
    } else {
      unchanged.push_back(std::string(f.field) + " " + FormatDuration(*seconds));
    }
  }
  if (changes.empty()) {
    std::string already;
    for (const std::string& u : unchanged) already += (already.empty() ? "" : ", ") + u;
    return Fail(ErrorCode::kConflict,
                fmt::format("nothing to change: {} already has {}", ref, already),
                "`keywarden show " + ref + "` shows its settings");
  }

  const int64_t now = NowSeconds();
  std::vector<int64_t> recheck_numbers;
  if (change.models || change.endpoint || change.probe) {
    // The current version stays served while it is checked again.
    for (const Version* v : VersionsToRecheck(*slot)) {
      change.recheck.push_back(v->id);
      recheck_numbers.push_back(v->number);
    }
    change.recheck_at = now;
  }
  if (policy.rotate_every != slot->policy.rotate_every ||
      policy.remind_before != slot->policy.remind_before) {
    // The rotation clock keeps its start (the current key's verification);
    // the next reminder moves with the new period and notice.
    Slot updated = *slot;
    updated.policy = policy;
    if (std::optional<int64_t> due = RotationDueAt(updated)) {
      change.next_reminder_at = std::optional<int64_t>(*due - policy.remind_before);
    }
  }
  if (policy.rotate_every != slot->policy.rotate_every ||
      policy.remind_before != slot->policy.remind_before || policy.grace != slot->policy.grace) {
    change.policy = policy;
  }

  std::string detail;
  for (const SlotSettingChange& c : changes) {
    detail += fmt::format("{}{} {} -> {}", detail.empty() ? "" : "; ", c.field, c.from, c.to);
  }
  Event event = MakeEvent(peer, "set", *slot, std::nullopt, "");
  event.detail = std::move(detail);
  Result<Slot> stored = store_.UpdateSlot(slot->key(), change, event);
  if (!stored) return std::unexpected(stored.error());
  if (validation_) validation_->SettingsChanged(change.recheck);
  return SetSlotResult{SlotObjectOf(*stored, NowSeconds()), std::move(changes),
                       std::move(recheck_numbers)};
}

Result<RemoveSlotResult> RequestHandler::RemoveSlot(RemoveSlotParams& params, const Peer& peer) {
  Result<Slot> slot = LoadSlot(params.ref, params.owner, peer);
  if (!slot) return std::unexpected(slot.error());
  // Works on a full disk too, in the space reserve.
  Status removed = WithSpaceReserve<void>(
      options_.reserve, "remove a slot", slot->ref.str(),
      MakeEvent(peer, "rm", *slot, std::nullopt, ""),
      [&](const Event& event) { return store_.RemoveSlot(slot->key(), event); });
  if (!removed) return std::unexpected(removed.error());
  return RemoveSlotResult{slot->ref.str()};
}

void RequestHandler::Validate(ValidateParams& params, const Peer& peer, Reply reply) {
  std::vector<Slot> slots;
  if (params.all) {
    SlotFilter filter;
    Result<std::optional<uint32_t>> scope = OwnerScope(params.owner, peer);
    if (!scope) return reply(std::unexpected(scope.error()));
    filter.owner_uid = *scope;
    Result<std::vector<Slot>> listed = store_.ListSlots(filter);
    if (!listed) return reply(std::unexpected(listed.error()));
    slots = std::move(*listed);
  } else {
    for (const std::string& ref : params.refs) {
      Result<Slot> slot = LoadSlot(ref, params.owner, peer);
      if (!slot) return reply(std::unexpected(slot.error()));
      slots.push_back(std::move(*slot));
    }
  }
  if (!validation_) return reply(Fail(ErrorCode::kUnavailable, "validation is not running"));
  const bool wait = params.wait;
  auto refs = std::make_shared<std::vector<SlotKey>>();
  for (const Slot& s : slots) refs->push_back(s.key());
  auto remaining = std::make_shared<size_t>(slots.size());
  auto finish = [this, refs, reply] {
    ValidateResult out;
    int64_t now = NowSeconds();
    for (const SlotKey& key : *refs) {
      if (Result<Slot> slot = store_.GetSlot(key)) out.slots.push_back(SlotObjectOf(*slot, now));
    }
    reply(Encode(out));
  };
  if (slots.empty()) return finish();
  for (const Slot& slot : slots) {
    std::function<void()> done;
    if (wait) {
      done = [remaining, finish] {
        if (--*remaining == 0) finish();
      };
    }
    if (Status s = validation_->ValidateNow(slot, done); !s) {
      if (!wait || slots.size() == 1) return reply(std::unexpected(s.error()));
      done();  // nothing to wait for on this slot
    }
  }
  if (!wait) finish();
}

void RequestHandler::CheckKey(CheckKeyParams& params, const Peer&, Reply reply) {
  const ProviderInfo* provider = catalogue_.Find(params.provider);
  if (!provider) return reply(std::unexpected(UnknownProvider(params.provider).error()));
  if (Status ok = CheckModels(params.models); !ok) return reply(std::unexpected(ok.error()));
  Result<FormatVerdict> verdict = CheckKeyFormat(params.secret.view(), *provider, catalogue_);
  if (!verdict) return reply(std::unexpected(verdict.error()));
  if (!validation_) return reply(Fail(ErrorCode::kUnavailable, "validation is not running"));
  SecretBuffer key = SecretBuffer::Copy(
      params.secret.view().substr(verdict->begin, verdict->end - verdict->begin));
  std::vector<Diagnosis> warnings = verdict->warnings;
  validation_->CheckKey(*provider, params.endpoint.value_or("default"), params.models,
                        params.probe.value_or("complete") == "list", std::move(key),
                        [reply, warnings](Result<Json> json) {
                          if (!json) return reply(std::unexpected(json.error()));
                          // The validation service's own answer: a bad shape is a bug.
                          CheckKeyResult result;
                          if (Status ok = Decode(*json, &result); !ok) {
                            return reply(Fail(ErrorCode::kInternal, ok.error().message));
                          }
                          result.diagnoses.insert(result.diagnoses.end(), warnings.begin(),
                                                  warnings.end());
                          reply(Encode(result));
                        });
}

}  // namespace keywarden
