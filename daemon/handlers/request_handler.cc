#include "handlers/request_handler.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <memory>

#include "audit_writer.h"
#include "keywarden/clock.h"
#include "keywarden/keyformat.h"
#include "keywarden/slot_json.h"
#include "keywarden/version.h"
#include "storage/space_reserve.h"

namespace keywarden {
namespace {

Result<int64_t> OptionalDuration(const Json& params, std::string_view key, int64_t fallback) {
  Result<std::optional<std::string>> text = GetOptionalString(params, key);
  if (!text) return std::unexpected(text.error());
  if (!*text) return fallback;
  Result<int64_t> seconds = ParseDuration(**text);
  if (!seconds) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("--{}: {}",
                                                         key == "rotate_every"    ? "rotate-every"
                                                         : key == "remind_before" ? "remind-before"
                                                                                  : key,
                                                         seconds.error().message));
  }
  return *seconds;
}

// The params each method takes (docs/protocol.md); any other is refused,
// so that a misspelt option is an error, not silently a default.
const std::map<std::string_view, std::vector<std::string_view>, std::less<>> kParams = {
    {"status", {"owner"}},
    {"providers.list", {}},
    {"slot.add",
     {"ref", "provider", "models", "secret", "endpoint", "probe", "rotate_every", "remind_before",
      "grace"}},
    {"slot.list", {"env", "summary", "owner"}},
    {"slot.show", {"ref", "owner"}},
    {"slot.get", {"ref", "purpose", "owner"}},
    {"slot.rm", {"ref", "owner"}},
    {"events.list", {"ref", "since", "owner"}},
    {"slot.validate", {"refs", "all", "wait", "owner"}},
    {"key.check", {"provider", "models", "secret", "endpoint", "probe"}},
    {"slot.rotate", {"ref", "secret", "owner"}},
    {"slot.rollback", {"ref", "owner"}},
    {"slot.revoke", {"ref", "version", "owner"}},
    {"reminders.list", {"owner"}},
    {"unlock", {"passphrase", "create"}},
    {"seal", {}},
    {"rekey", {"passphrase", "new_passphrase"}},
};

// params.<name>: unknown field, for the first field `method` does not take.
Status CheckParamNames(std::string_view method, const Json& params) {
  auto allowed = kParams.find(method);
  if (allowed == kParams.end() || !params.is_object()) return {};
  for (auto it = params.cbegin(); it != params.cend(); ++it) {
    const std::string& name = it.key();
    if (std::find(allowed->second.begin(), allowed->second.end(), name) == allowed->second.end()) {
      bool printable = name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
                         return c >= ' ' && c < 0x7f;
                       });
      return Fail(ErrorCode::kInvalidArgument,
                  printable ? fmt::format("params.{}: unknown field", name)
                            : std::string("params: an unknown field"),
                  fmt::format("{} takes {}", method,
                              allowed->second.empty()
                                  ? std::string("no params")
                                  : fmt::format("{}", fmt::join(allowed->second, ", "))));
    }
  }
  return {};
}

// A refused request is dropped whole: its strings (a secret among them) are
// wiped first, since no handler took them into secure memory.
void WipeStrings(Json& params) {
  if (!params.is_object()) return;
  for (Json& value : params) {
    if (value.is_string()) Wipe(value.get_ref<std::string&>());
  }
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

}  // namespace

RequestHandler::RequestHandler(Store& store, const Config& config, const Catalogue& catalogue,
                               HandlerOptions options, std::optional<Keyring>& keyring,
                               ValidationService* validation)
    : store_(store),
      config_(config),
      catalogue_(catalogue),
      options_(std::move(options)),
      keyring_(keyring),
      validation_(validation),
      started_at_(NowSeconds()) {
  methods_ = {
      {"status", &RequestHandler::GetStatus},
      {"providers.list", &RequestHandler::Providers},
      {"slot.add", &RequestHandler::AddSlot},
      {"slot.list", &RequestHandler::ListSlots},
      {"slot.show", &RequestHandler::ShowSlot},
      {"slot.rm", &RequestHandler::RemoveSlot},
      {"events.list", &RequestHandler::ListEvents},
      {"slot.rotate", &RequestHandler::RotateSlot},
      {"slot.rollback", &RequestHandler::RollbackSlot},
      {"slot.revoke", &RequestHandler::RevokeVersion},
      {"reminders.list", &RequestHandler::ListReminders},
      {"seal", &RequestHandler::Seal},
  };
  async_methods_ = {
      {"slot.validate", &RequestHandler::Validate}, {"key.check", &RequestHandler::CheckKey},
      {"unlock", &RequestHandler::Unlock},          {"rekey", &RequestHandler::Rekey},
      {"slot.get", &RequestHandler::GetSecret},
  };
}

void RequestHandler::Handle(Request& request, const Peer& peer, Reply reply, TextReply text_reply) {
  auto method = methods_.find(request.method);
  auto async_method = async_methods_.find(request.method);
  if (method == methods_.end() && async_method == async_methods_.end()) {
    reply(Fail(ErrorCode::kProtocol,
               fmt::format("unknown method \"{}\"", request.method.substr(0, 64)),
               "see docs/protocol.md for the methods this daemon speaks"));
    return;
  }
  if (Status named = CheckParamNames(request.method, request.params); !named) {
    WipeStrings(request.params);
    reply(std::unexpected(named.error()));
    return;
  }
  if (!keyring_ && request.method != "status" && request.method != "unlock") {
    reply(Fail(ErrorCode::kSealed, "keywardend is sealed", "run `keywarden unlock`"));
    return;
  }
  if (request.method == "slot.list" && text_reply) {
    Result<TextPieces> pieces = ListSlotsPieces(request.params, peer);
    if (!pieces) return reply(std::unexpected(pieces.error()));
    return text_reply(std::move(*pieces));
  }
  if (method != methods_.end()) {
    reply((this->*method->second)(request.params, peer));
    return;
  }
  (this->*async_method->second)(request.params, peer, std::move(reply));
}

void RequestHandler::Validate(Json& params, const Peer& peer, Reply reply) {
  std::vector<Slot> slots;
  auto all = params.find("all");
  if (all != params.end() && all->is_boolean() && all->get<bool>()) {
    SlotFilter filter;
    Result<std::optional<uint32_t>> scope = OwnerScope(params, peer);
    if (!scope) return reply(std::unexpected(scope.error()));
    filter.owner_uid = *scope;
    Result<std::vector<Slot>> listed = store_.ListSlots(filter);
    if (!listed) return reply(std::unexpected(listed.error()));
    slots = std::move(*listed);
  } else {
    Result<std::vector<std::string>> refs = GetStringList(params, "refs");
    if (!refs) return reply(std::unexpected(refs.error()));
    for (const std::string& ref : *refs) {
      Json one = {{"ref", ref}};
      if (auto owner = params.find("owner"); owner != params.end()) one["owner"] = *owner;
      Result<Slot> slot = LoadSlot(one, peer);
      if (!slot) return reply(std::unexpected(slot.error()));
      slots.push_back(std::move(*slot));
    }
  }
  if (!validation_) return reply(Fail(ErrorCode::kUnavailable, "validation is not running"));
  auto wait_it = params.find("wait");
  bool wait = wait_it != params.end() && wait_it->is_boolean() && wait_it->get<bool>();
  auto refs = std::make_shared<std::vector<SlotKey>>();
  for (const Slot& s : slots) refs->push_back(s.key());
  auto remaining = std::make_shared<size_t>(slots.size());
  auto finish = [this, refs, reply] {
    Json out = Json::array();
    int64_t now = NowSeconds();
    for (const SlotKey& key : *refs) {
      if (Result<Slot> slot = store_.GetSlot(key)) out.push_back(SlotToJson(*slot, now));
    }
    reply(Json{{"slots", std::move(out)}});
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

void RequestHandler::CheckKey(Json& params, const Peer&, Reply reply) {
  Result<SecretBuffer> taken = TakeSecret(params);
  if (!taken) return reply(std::unexpected(taken.error()));
  SecretBuffer& secret = *taken;
  Result<std::string> provider_id = GetString(params, "provider");
  if (!provider_id) return reply(std::unexpected(provider_id.error()));
  const ProviderInfo* provider = catalogue_.Find(*provider_id);
  if (!provider) {
    return reply(Fail(ErrorCode::kInvalidArgument,
                      fmt::format("unknown provider \"{}\"", *provider_id),
                      "`keywarden providers` lists the providers keywarden knows"));
  }
  Result<std::vector<std::string>> models = GetStringList(params, "models");
  if (!models) return reply(std::unexpected(models.error()));
  if (Status ok = CheckModels(*models); !ok) return reply(std::unexpected(ok.error()));
  Result<std::optional<std::string>> endpoint = GetOptionalString(params, "endpoint");
  if (!endpoint) return reply(std::unexpected(endpoint.error()));
  Result<FormatVerdict> verdict = CheckKeyFormat(secret.view(), *provider, catalogue_);
  if (!verdict) return reply(std::unexpected(verdict.error()));
  if (!validation_) return reply(Fail(ErrorCode::kUnavailable, "validation is not running"));
  SecretBuffer key =
      SecretBuffer::Copy(secret.view().substr(verdict->begin, verdict->end - verdict->begin));
  std::vector<Diagnosis> warnings = verdict->warnings;
  Result<std::optional<std::string>> probe = GetOptionalString(params, "probe");
  if (!probe) return reply(std::unexpected(probe.error()));
  validation_->CheckKey(*provider, endpoint->value_or("default"), *models,
                        probe->value_or("complete") == "list", std::move(key),
                        [reply, warnings](Result<Json> result) {
                          if (result) {
                            for (const Json& w : DiagnosesJson(warnings))
                              (*result)["diagnoses"].push_back(w);
                          }
                          reply(std::move(result));
                        });
}

Result<SecretBuffer> RequestHandler::TakeSecret(Json& params) {
  auto it = params.find("secret");
  if (it == params.end() || !it->is_string()) {
    return Fail(ErrorCode::kInvalidArgument, "params.secret: expected a string");
  }
  return SecretBuffer::Take(it->get_ref<std::string&>());
}

Result<NewVersion> RequestHandler::SealVersion(const SecretBuffer& secret,
                                               const ProviderInfo& provider,
                                               std::vector<Diagnosis>* warnings) const {
  Result<FormatVerdict> verdict = CheckKeyFormat(secret.view(), provider, catalogue_);
  if (!verdict) return std::unexpected(verdict.error());
  std::string_view key = secret.view().substr(verdict->begin, verdict->end - verdict->begin);
  NewVersion version;
  version.uuid = RandomUuid();
  version.data_key_version = keyring_->data_key_version();
  // Sealed by the store once the row's slot id and number are known; `key`
  // points into `secret`, which outlives the store call that uses it.
  version.seal = [keyring = &*keyring_, key](const RowBinding& row) {
    return keyring->Seal(key, row);
  };
  version.mask = MaskKey(key);
  version.fingerprint = keyring_->Fingerprint(key);
  version.diagnoses = verdict->warnings;
  *warnings = verdict->warnings;
  return version;
}

Result<std::optional<uint32_t>> RequestHandler::RequestedOwner(const Json& params,
                                                               const Peer& peer) const {
  auto it = params.find("owner");
  if (it == params.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() || it->get<int64_t>() < 0 ||
      it->get<int64_t>() > std::numeric_limits<uint32_t>::max()) {
    return Fail(ErrorCode::kInvalidArgument, "params.owner: expected a uid");
  }
  const auto owner = static_cast<uint32_t>(it->get<int64_t>());
  // Decided on the request alone, before anything is read: the answer says
  // nothing of what that owner has.
  if (owner != peer.uid && !SeesAll(peer)) {
    return Fail(ErrorCode::kPermissionDenied,
                "only root and members of keywarden-admin may name another owner's slots");
  }
  return owner;
}

Result<std::optional<uint32_t>> RequestHandler::OwnerScope(const Json& params,
                                                           const Peer& peer) const {
  Result<std::optional<uint32_t>> owner = RequestedOwner(params, peer);
  if (!owner || *owner || SeesAll(peer)) return owner;
  return peer.uid;
}

Event RequestHandler::MakeEvent(const Peer& peer, std::string action, const Slot& slot,
                                std::optional<int> version, std::string fingerprint) const {
  Event event;
  event.at = NowSeconds();
  event.uid = peer.uid;
  event.owner_uid = slot.owner_uid;
  event.action = std::move(action);
  event.ref = slot.ref.str();
  event.version = version;
  event.fingerprint = std::move(fingerprint);
  return event;
}

Result<SlotRef> RequestHandler::ParseRef(const Json& params) const {
  Result<std::string> text = GetString(params, "ref");
  if (!text) return std::unexpected(text.error());
  return SlotRef::Parse(*text, config_.default_env);
}

Result<SlotKey> RequestHandler::ParseKey(const Json& params, const Peer& peer) const {
  Result<SlotRef> ref = ParseRef(params);
  if (!ref) return std::unexpected(ref.error());
  Result<std::optional<uint32_t>> owner = RequestedOwner(params, peer);
  if (!owner) return std::unexpected(owner.error());
  return SlotKey{owner->value_or(peer.uid), std::move(*ref)};
}

Status RequestHandler::CheckVisible(const Slot& slot, const Peer& peer) const {
  if (SeesAll(peer) || slot.owner_uid == peer.uid) return {};
  // The store's words for a missing slot (sqlite_store.cc), so that the two
  // cannot be told apart.
  return Fail(ErrorCode::kNotFound, "no slot " + slot.ref.str());
}

Result<Slot> RequestHandler::LoadSlot(const Json& params, const Peer& peer) {
  Result<SlotKey> key = ParseKey(params, peer);
  if (!key) return std::unexpected(key.error());
  Result<Slot> slot = store_.GetSlot(*key);
  if (!slot) return slot;
  if (Status visible = CheckVisible(*slot, peer); !visible) return std::unexpected(visible.error());
  return slot;
}

namespace {

// status.reserve: {file, state, bytes, used_at?, detail?}; null when no
// reserve is kept.
Json ReserveJson(const SpaceReserve* reserve) {
  if (reserve == nullptr) return nullptr;
  Json out = {{"file", reserve->file().string()},
              {"state", std::string(SpaceReserve::StateName(reserve->state()))},
              {"bytes", reserve->allocated()},
              {"size", reserve->bytes()}};
  if (reserve->used_at()) out["used_at"] = FormatTime(*reserve->used_at());
  if (!reserve->detail().empty()) out["detail"] = reserve->detail();
  return out;
}

}  // namespace

Result<Json> RequestHandler::GetStatus(Json& params, const Peer& peer) {
  Json out = {{"version", kProductVersion},
              {"protocol", kProtocolVersion},
              {"pid", static_cast<int64_t>(::getpid())},
              {"mode", options_.system_mode ? "system" : "user"},
              {"sealed", !keyring_.has_value()},
              {"uptime_s", NowSeconds() - started_at_},
              {"peer_uid", peer.uid},
              {"db", options_.db_file.string()},
              {"socket", options_.socket_file.string()},
              {"master_key", options_.master_key_origin}};
  // The size of the database and the reserve concern the whole daemon:
  // in system mode, only an admin sees them.
  if (SeesAll(peer)) {
    const DatabaseSize size = MeasureDatabase(options_.db_file);
    out["db_bytes"] = size.file + size.wal;
    out["db_file_bytes"] = size.file;
    out["db_wal_bytes"] = size.wal;
    out["disk_free_bytes"] = size.disk_free ? Json(*size.disk_free) : Json(nullptr);
    out["reserve"] = ReserveJson(options_.reserve);
  }
  if (!keyring_) return out;
  Result<std::optional<uint32_t>> scope = OwnerScope(params, peer);
  if (!scope) return std::unexpected(scope.error());
  Result<StoreCounts> counts = store_.Counts(*scope);
  if (!counts) return std::unexpected(counts.error());
  out["slots"] = counts->slots;
  out["versions_by_state"] = counts->versions_by_state;
  out["next_check_at"] =
      counts->next_check_at ? Json(FormatTime(*counts->next_check_at)) : Json(nullptr);
  // The scheduler's next wakeup may be another user's check or reminder.
  std::optional<int64_t> wakeup =
      validation_ && SeesAll(peer) ? validation_->next_wakeup() : std::nullopt;
  out["next_scheduled_at"] = wakeup ? Json(FormatTime(*wakeup)) : Json(nullptr);
  return out;
}

Result<Json> RequestHandler::Providers(Json&, const Peer&) {
  Json list = Json::array();
  for (const ProviderInfo& p : catalogue_.All()) {
    Json endpoints = Json::object();
    for (const auto& [name, url] : p.endpoints) {
      Result<std::string> base = catalogue_.BaseUrl(p, name, config_);
      endpoints[name] = base ? *base : url;
    }
    list.push_back({{"id", p.id},
                    {"name", p.display_name},
                    {"env_var", p.env_var},
                    {"key_pattern", p.key_pattern},
                    {"key_example", p.key_example},
                    {"endpoints", std::move(endpoints)},
                    {"default_endpoint", p.default_endpoint},
                    {"custom_url", p.custom_url},
                    {"activation_window_s", p.activation_window}});
  }
  return Json{{"providers", std::move(list)}};
}

Result<Json> RequestHandler::AddSlot(Json& params, const Peer& peer) {
  // Take the secret out of the request first, so that every early return
  // below leaves no plaintext copy behind.
  Result<SecretBuffer> taken = TakeSecret(params);
  if (!taken) return std::unexpected(taken.error());
  SecretBuffer& secret = *taken;

  Result<std::string> ref_text = GetString(params, "ref");
  if (!ref_text) return std::unexpected(ref_text.error());
  Result<SlotRef> ref = SlotRef::Parse(*ref_text, config_.default_env);
  if (!ref) return std::unexpected(ref.error());
  Result<std::string> provider_id = GetString(params, "provider");
  if (!provider_id) return std::unexpected(provider_id.error());
  const ProviderInfo* provider = catalogue_.Find(*provider_id);
  if (!provider) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown provider \"{}\"", *provider_id),
                "`keywarden providers` lists the providers keywarden knows");
  }
  Result<std::vector<std::string>> models = GetStringList(params, "models");
  if (!models) return std::unexpected(models.error());
  if (Status ok = CheckModels(*models); !ok) return std::unexpected(ok.error());

  Slot slot;
  slot.ref = *ref;
  slot.provider = provider->id;
  slot.models = *models;
  slot.owner_uid = peer.uid;
  slot.created_at = NowSeconds();
  Result<std::optional<std::string>> endpoint = GetOptionalString(params, "endpoint");
  if (!endpoint) return std::unexpected(endpoint.error());
  slot.endpoint = endpoint->value_or("default");
  if (Result<std::string> base = catalogue_.BaseUrl(*provider, slot.endpoint, config_); !base) {
    return std::unexpected(base.error());
  }
  Result<std::optional<std::string>> probe = GetOptionalString(params, "probe");
  if (!probe) return std::unexpected(probe.error());
  slot.probe = probe->value_or("complete");
  if (slot.probe != "complete" && slot.probe != "list") {
    return Fail(ErrorCode::kInvalidArgument, "--probe must be \"complete\" or \"list\"");
  }
  const RotationPolicy& defaults = config_.rotation;
  Result<int64_t> rotate_every = OptionalDuration(params, "rotate_every", defaults.rotate_every);
  Result<int64_t> remind_before = OptionalDuration(params, "remind_before", defaults.remind_before);
  Result<int64_t> grace = OptionalDuration(params, "grace", defaults.grace);
  for (const Result<int64_t>* r : {&rotate_every, &remind_before, &grace}) {
    if (!*r) return std::unexpected(r->error());
  }
  slot.policy = {*rotate_every, *remind_before, *grace};

  std::vector<Diagnosis> warnings;
  Result<NewVersion> first = SealVersion(secret, *provider, &warnings);
  if (!first) return std::unexpected(first.error());
  first->created_at = slot.created_at;
  first->next_check_at = slot.created_at;

  Result<Slot> stored =
      store_.AddSlot(slot, *first, MakeEvent(peer, "add", slot, 1, first->fingerprint));
  if (!stored) return std::unexpected(stored.error());
  if (validation_) validation_->Poke();
  return Json{{"slot", SlotToJson(*stored, NowSeconds())}, {"warnings", DiagnosesJson(warnings)}};
}

Result<Json> RequestHandler::ListSlots(Json& params, const Peer& peer) {
  Result<TextPieces> pieces = ListSlotsPieces(params, peer);
  if (!pieces) return std::unexpected(pieces.error());
  std::string text;
  for (;;) {
    Result<bool> more = (*pieces)(text);
    if (!more) return std::unexpected(more.error());
    if (!*more) return Json::parse(text);
  }
}

Result<RequestHandler::TextPieces> RequestHandler::ListSlotsPieces(const Json& params,
                                                                   const Peer& peer) {
  SlotFilter filter;
  Result<std::optional<uint32_t>> scope = OwnerScope(params, peer);
  if (!scope) return std::unexpected(scope.error());
  filter.owner_uid = *scope;
  Result<std::optional<std::string>> env = GetOptionalString(params, "env");
  if (!env) return std::unexpected(env.error());
  filter.env = *env;
  Result<bool> summary = GetOptionalBool(params, "summary");
  if (!summary) return std::unexpected(summary.error());
  const int max_slots = std::max(1, options_.list_piece_slots);
  const size_t piece_bytes = std::max<size_t>(1, options_.list_piece_bytes);
  // A large page cache for the whole walk, given back when the last copy of
  // the pieces goes: the list is done, failed, or its client went away.
  // Lists that overlap share it: it is given back (and the heap trimmed,
  // which takes a while on a large heap) once, when the last of them goes,
  // not as each one ends while the others still walk.
  std::shared_ptr<void> narrow_when_done = wide_cache_.lock();
  if (narrow_when_done.use_count() == 0) {
    store_.WidenCache();
    // The store, not the handler: at shutdown the last copy may go with the
    // io_context's queue, after the handler (the store outlives both).
    narrow_when_done = std::shared_ptr<void>(nullptr, [&store = store_](void*) {
      store.NarrowCache();
      ::malloc_trim(0);  // so that an idle daemon stays small
    });
    wide_cache_ = narrow_when_done;
  }
  // One slot in memory at a time: only the piece's text grows.
  return [this, filter, summary = *summary, now = NowSeconds(), started = false, listed = 0,
          listed_bytes = size_t{0}, max_slots, piece_bytes,
          narrow_when_done](std::string& out) mutable -> Result<bool> {
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

Result<Json> RequestHandler::ShowSlot(Json& params, const Peer& peer) {
  Result<Slot> slot = LoadSlot(params, peer);
  if (!slot) return std::unexpected(slot.error());
  return Json{{"slot", SlotToJson(*slot, NowSeconds())}};
}

void RequestHandler::GetSecret(Json& params, const Peer& peer, Reply reply) {
  // What the CLI does with the secret, for the audit trail.
  Result<std::optional<std::string>> purpose = GetOptionalString(params, "purpose");
  if (!purpose) return reply(std::unexpected(purpose.error()));
  std::string action = purpose->value_or("get");
  if (action != "get" && action != "export" && action != "exec") {
    return reply(Fail(ErrorCode::kInvalidArgument, "params.purpose: expected get, export or exec"));
  }
  Result<SlotKey> key = ParseKey(params, peer);
  if (!key) return reply(std::unexpected(key.error()));
  // Filled inside the audit batch's transaction, sent once it commits. The
  // secret stays in secure memory until then; it joins the reply (which the
  // connection wipes) only then, and never on failure.
  struct Served {
    std::optional<SecretBuffer> secret;
    Json result;
    std::optional<Slot> damaged;  // its current version failed the integrity check
  };
  auto served = std::make_shared<Served>();
  ServeRequest request{
      *key,
      [this, peer, action = std::move(action), served](
          const Slot& slot, const SealedSecret* sealed) -> Result<Event> {
        if (Status visible = CheckVisible(slot, peer); !visible)
          return std::unexpected(visible.error());
        if (!slot.Usable()) {
          return Fail(ErrorCode::kNotUsable,
                      fmt::format("{} is not usable: {}", slot.ref.str(), slot.UnusableReason()),
                      fmt::format("see `keywarden show {}`", slot.ref.str()));
        }
        // Sealed after this request arrived: nothing may be unsealed now.
        if (!keyring_)
          return Fail(ErrorCode::kSealed, "keywardend is sealed", "run `keywarden unlock`");
        const Version* current = slot.FindVersion(*slot.current_version);
        if (sealed == nullptr) {
          return Fail(ErrorCode::kNotFound, fmt::format("the secret of {} version {} was destroyed",
                                                        slot.ref.str(), current->number));
        }
        Result<SecretBuffer> secret = keyring_->Unseal(*sealed);
        if (!secret) {
          served->damaged = slot;  // recorded once the batch is over: no store call in here
          return std::unexpected(secret.error());
        }
        served->secret.emplace(std::move(*secret));
        const ProviderInfo* provider = catalogue_.Find(slot.provider);
        Result<std::string> base = provider ? catalogue_.BaseUrl(*provider, slot.endpoint, config_)
                                            : Result<std::string>("");
        // Member by member: an initializer list copies every value once more
        // (a measurable share of a get; docs/benchmarks.md).
        Json& result = served->result;
        result = Json::object();
        result.emplace("ref", slot.ref.str());
        result.emplace("version", current->number);
        result.emplace("provider", slot.provider);
        result.emplace("endpoint", slot.endpoint);
        result.emplace("base_url", base ? std::move(*base) : std::string());
        result.emplace("env_var", provider ? provider->env_var : std::string());
        result.emplace("models", slot.models);
        return MakeEvent(peer, action, slot, current->number, current->fingerprint);
      }};
  auto send = [this, peer, reply = std::move(reply), served](Status outcome) {
    if (!outcome && served->damaged)
      RecordIntegrityFailure(*served->damaged, peer, outcome.error());
    if (!outcome) return reply(std::unexpected(outcome.error()));
    served->result["secret"] = std::string(served->secret->view());
    reply(std::move(served->result));
  };
  if (!options_.audit) return send(ServeNow(store_, request));
  options_.audit->Submit(std::move(request), std::move(send));
}

void RequestHandler::RecordIntegrityFailure(const Slot& slot, const Peer& peer,
                                            const Error& error) {
  const Version* current = slot.current_version ? slot.FindVersion(*slot.current_version) : nullptr;
  if (current == nullptr) return;
  if (validation_) return validation_->RecordIntegrityFailure(slot, *current, error, peer.uid);
  (void)store_.RecordValidation(
      IntegrityFailureRecord(slot, *current, error, NowSeconds(), peer.uid));
}

Result<Json> RequestHandler::RemoveSlot(Json& params, const Peer& peer) {
  Result<Slot> slot = LoadSlot(params, peer);
  if (!slot) return std::unexpected(slot.error());
  // Works on a full disk too, in the space reserve.
  Status removed = WithSpaceReserve<void>(
      options_.reserve, "remove a slot", slot->ref.str(),
      MakeEvent(peer, "rm", *slot, std::nullopt, ""),
      [&](const Event& event) { return store_.RemoveSlot(slot->key(), event); });
  if (!removed) return std::unexpected(removed.error());
  return Json{{"removed", slot->ref.str()}};
}

Result<Json> RequestHandler::ListEvents(Json& params, const Peer& peer) {
  EventFilter filter;
  Result<std::optional<uint32_t>> scope = OwnerScope(params, peer);
  if (!scope) return std::unexpected(scope.error());
  filter.owner_uid = *scope;
  Result<std::optional<std::string>> ref = GetOptionalString(params, "ref");
  if (!ref) return std::unexpected(ref.error());
  if (*ref) {
    Result<SlotRef> parsed = SlotRef::Parse(**ref, config_.default_env);
    if (!parsed) return std::unexpected(parsed.error());
    filter.ref = parsed->str();
  }
  Result<std::optional<std::string>> since = GetOptionalString(params, "since");
  if (!since) return std::unexpected(since.error());
  if (*since) {
    Result<int64_t> window = ParseDuration(**since);
    if (!window) return Fail(ErrorCode::kInvalidArgument, "--since: " + window.error().message);
    filter.since = NowSeconds() - *window;
  }
  Result<std::vector<Event>> events = store_.ListEvents(filter);
  if (!events) return std::unexpected(events.error());
  Json list = Json::array();
  for (const Event& e : *events) list.push_back(EventToJson(e));
  return Json{{"events", std::move(list)}};
}

}  // namespace keywarden
