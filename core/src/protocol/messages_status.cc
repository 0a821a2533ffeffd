// status, providers.list and events.list: the wire forms of
// keywarden/messages_status.h.
#include "keywarden/messages_status.h"

#include <limits>

#include "fields.h"
#include "keywarden/clock.h"
#include "keywarden/slot_json.h"

namespace keywarden {

using fields::OrNull;
using fields::PutOptional;
using fields::Reader;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

Status DecodeReserve(const Json& value, const std::string& path, ReserveStatus* out) {
  Reader r(value, path);
  if (Status ok = r.String("file", &out->file); !ok) return ok;
  if (Status ok = r.String("state", &out->state); !ok) return ok;
  if (Status ok = r.Integer("bytes", 0, kMax, "a byte count", &out->bytes); !ok) return ok;
  if (Status ok = r.Integer("size", 0, kMax, "a byte count", &out->size); !ok) return ok;
  if (Status ok = r.OptionalString("used_at", &out->used_at); !ok) return ok;
  return r.OptionalString("detail", &out->detail);
}

Json EncodeReserve(const ReserveStatus& reserve) {
  Json out = {{"file", reserve.file},
              {"state", reserve.state},
              {"bytes", reserve.bytes},
              {"size", reserve.size}};
  PutOptional(out, "used_at", reserve.used_at);
  PutOptional(out, "detail", reserve.detail);
  return out;
}

}  // namespace

Status Decode(Json& params, StatusParams* out) {
  if (Status ok = CheckParamNames(params, StatusParams::kMethod, StatusParams::kFields); !ok) {
    return ok;
  }
  return Reader(params, "params").OptionalUid("owner", &out->owner);
}

Json Encode(const StatusParams& params) {
  Json out = Json::object();
  PutOptional(out, "owner", params.owner);
  return out;
}

Status Decode(const Json& result, StatusResult* out) {
  Reader r(result, "result");
  if (Status ok = r.String("version", &out->version); !ok) return ok;
  if (Status ok = r.Integer("protocol", 0, kMax, "a version number", &out->protocol); !ok) {
    return ok;
  }
  if (Status ok = r.Integer("pid", 0, kMax, "a pid", &out->pid); !ok) return ok;
  if (Status ok = r.String("mode", &out->mode); !ok) return ok;
  if (Status ok = r.Bool("sealed", &out->sealed); !ok) return ok;
  if (Status ok = r.Integer("uptime_s", 0, kMax, "seconds", &out->uptime_s); !ok) return ok;
  if (Status ok = r.Uid("peer_uid", &out->peer_uid); !ok) return ok;
  if (Status ok = r.String("db", &out->db); !ok) return ok;
  if (Status ok = r.String("socket", &out->socket); !ok) return ok;
  if (Status ok = r.String("master_key", &out->master_key); !ok) return ok;
  if (Status ok = r.OptionalString("config_file", &out->config_file); !ok) return ok;
  if (Status ok = r.OptionalString("gateway_url", &out->gateway_url); !ok) return ok;
  out->disk.reset();
  if (r.Find("db_bytes") != nullptr) {
    DiskStatus& disk = out->disk.emplace();
    if (Status ok = r.Integer("db_bytes", 0, kMax, "a byte count", &disk.db_bytes); !ok) return ok;
    if (Status ok = r.Integer("db_file_bytes", 0, kMax, "a byte count", &disk.db_file_bytes); !ok) {
      return ok;
    }
    if (Status ok = r.Integer("db_wal_bytes", 0, kMax, "a byte count", &disk.db_wal_bytes); !ok) {
      return ok;
    }
    if (Status ok =
            r.OptionalInteger("disk_free_bytes", 0, kMax, "a byte count", &disk.disk_free_bytes);
        !ok) {
      return ok;
    }
    if (r.Has("reserve")) {
      if (Status ok = DecodeReserve(*r.Find("reserve"), r.Name("reserve"), &disk.reserve.emplace());
          !ok) {
        return ok;
      }
    }
  }
  out->counts.reset();
  if (r.Find("slots") != nullptr) {
    SlotCounts& counts = out->counts.emplace();
    if (Status ok = r.Integer("slots", 0, kMax, "a count", &counts.slots); !ok) return ok;
    Json by_state;
    if (Status ok = r.ObjectMember("versions_by_state", &by_state); !ok) return ok;
    Reader states(by_state, r.Name("versions_by_state"));
    for (const auto& [state, count] : by_state.items()) {
      int64_t n = 0;
      if (Status ok = states.Integer(state, 0, kMax, "a count", &n); !ok) return ok;
      counts.versions_by_state[state] = n;
    }
    if (Status ok = r.OptionalString("next_check_at", &counts.next_check_at); !ok) return ok;
    if (Status ok = r.OptionalString("next_scheduled_at", &counts.next_scheduled_at); !ok) {
      return ok;
    }
    for (auto [key, value] : {std::pair{"copies", &counts.copies},
                              {"copies_stale", &counts.copies_stale},
                              {"copies_revoked", &counts.copies_revoked}}) {
      if (Status ok = r.OptionalInteger(key, 0, kMax, "a count", value); !ok) return ok;
    }
  }
  return {};
}

Json Encode(const StatusResult& result) {
  Json out = {{"version", result.version},   {"protocol", result.protocol},
              {"pid", result.pid},           {"mode", result.mode},
              {"sealed", result.sealed},     {"uptime_s", result.uptime_s},
              {"peer_uid", result.peer_uid}, {"db", result.db},
              {"socket", result.socket},     {"master_key", result.master_key}};
  if (result.config_file) out["config_file"] = *result.config_file;
  out["gateway_url"] = OrNull(result.gateway_url);
  if (result.disk) {
    out["db_bytes"] = result.disk->db_bytes;
    out["db_file_bytes"] = result.disk->db_file_bytes;
    out["db_wal_bytes"] = result.disk->db_wal_bytes;
    out["disk_free_bytes"] = OrNull(result.disk->disk_free_bytes);
    out["reserve"] = result.disk->reserve ? EncodeReserve(*result.disk->reserve) : Json(nullptr);
  }
  if (result.counts) {
    out["slots"] = result.counts->slots;
    out["versions_by_state"] = result.counts->versions_by_state;
    out["next_check_at"] = OrNull(result.counts->next_check_at);
    out["next_scheduled_at"] = OrNull(result.counts->next_scheduled_at);
    PutOptional(out, "copies", result.counts->copies);
    PutOptional(out, "copies_stale", result.counts->copies_stale);
    PutOptional(out, "copies_revoked", result.counts->copies_revoked);
  }
  return out;
}

Status Decode(Json& params, ProvidersParams*) {
  return CheckParamNames(params, ProvidersParams::kMethod, ProvidersParams::kFields);
}

Json Encode(const ProvidersParams&) { return Json::object(); }

Status Decode(const Json& result, ProvidersResult* out) {
  Reader r(result, "result");
  const Json* list = nullptr;
  if (Status ok = r.Array("providers", &list); !ok) return ok;
  out->providers.clear();
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = r.Name("providers") + "[" + std::to_string(i) + "]";
    Reader p((*list)[i], path);
    ProviderEntry e;
    if (Status ok = p.String("id", &e.id); !ok) return ok;
    if (Status ok = p.String("name", &e.name); !ok) return ok;
    if (Status ok = p.String("env_var", &e.env_var); !ok) return ok;
    if (Status ok = p.String("key_pattern", &e.key_pattern); !ok) return ok;
    if (Status ok = p.String("key_example", &e.key_example); !ok) return ok;
    Json endpoints;
    if (Status ok = p.ObjectMember("endpoints", &endpoints); !ok) return ok;
    Reader urls(endpoints, p.Name("endpoints"));
    for (const auto& [name, url] : endpoints.items()) {
      if (Status ok = urls.String(name, &e.endpoints[name]); !ok) return ok;
    }
    if (Status ok = p.String("default_endpoint", &e.default_endpoint); !ok) return ok;
    if (Status ok = p.Bool("custom_url", &e.custom_url); !ok) return ok;
    if (Status ok = p.Integer("activation_window_s", 0, kMax, "seconds", &e.activation_window_s);
        !ok) {
      return ok;
    }
    out->providers.push_back(std::move(e));
  }
  return {};
}

Json Encode(const ProvidersResult& result) {
  Json list = Json::array();
  for (const ProviderEntry& p : result.providers) {
    list.push_back({{"id", p.id},
                    {"name", p.name},
                    {"env_var", p.env_var},
                    {"key_pattern", p.key_pattern},
                    {"key_example", p.key_example},
                    {"endpoints", p.endpoints},
                    {"default_endpoint", p.default_endpoint},
                    {"custom_url", p.custom_url},
                    {"activation_window_s", p.activation_window_s}});
  }
  return Json{{"providers", std::move(list)}};
}

Status Decode(Json& params, EventsParams* out) {
  if (Status ok = CheckParamNames(params, EventsParams::kMethod, EventsParams::kFields); !ok) {
    return ok;
  }
  Reader r(params, "params");
  if (Status ok = r.OptionalString("ref", &out->ref); !ok) return ok;
  if (Status ok = r.OptionalString("since", &out->since); !ok) return ok;
  return r.OptionalUid("owner", &out->owner);
}

Json Encode(const EventsParams& params) {
  Json out = Json::object();
  PutOptional(out, "ref", params.ref);
  PutOptional(out, "since", params.since);
  PutOptional(out, "owner", params.owner);
  return out;
}

Status Decode(const Json& result, EventsResult* out) {
  Reader r(result, "result");
  const Json* list = nullptr;
  if (Status ok = r.Array("events", &list); !ok) return ok;
  out->events.clear();
  for (size_t i = 0; i < list->size(); ++i) {
    Reader e((*list)[i], r.Name("events") + "[" + std::to_string(i) + "]");
    Event event;
    std::string at;
    if (Status ok = e.Integer("id", 0, kMax, "an event id", &event.id); !ok) return ok;
    if (Status ok = e.String("at", &at); !ok) return ok;
    std::optional<int64_t> when = ParseTime(at);
    if (!when) return Fail(ErrorCode::kInvalidArgument, e.Name("at") + ": expected a UTC time");
    event.at = *when;
    if (Status ok = e.Uid("uid", &event.uid); !ok) return ok;
    if (Status ok = e.OptionalUid("owner_uid", &event.owner_uid); !ok) return ok;
    if (Status ok = e.String("action", &event.action); !ok) return ok;
    if (Status ok = e.String("ref", &event.ref); !ok) return ok;
    std::optional<int64_t> version;
    if (Status ok = e.OptionalInteger("version", 1, std::numeric_limits<int>::max(),
                                      "a version number", &version);
        !ok) {
      return ok;
    }
    if (version) event.version = static_cast<int>(*version);
    if (Status ok = e.String("fingerprint", &event.fingerprint); !ok) return ok;
    if (Status ok = e.String("detail", &event.detail); !ok) return ok;
    int64_t count = 1;
    bool aggregated = false;
    if (Status ok = e.Integer("count", 1, kMax, "a count", &count); !ok) return ok;
    if (Status ok = e.Bool("aggregated", &aggregated); !ok) return ok;
    if (aggregated) event.count = count;
    out->events.push_back(std::move(event));
  }
  return {};
}

Json Encode(const EventsResult& result) {
  Json list = Json::array();
  for (const Event& e : result.events) list.push_back(EventToJson(e));
  return Json{{"events", std::move(list)}};
}

}  // namespace keywarden
