// status, providers.list and events.list (see keywarden/messages.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keywarden/messages.h"
#include "keywarden/store.h"

namespace keywarden {

struct StatusResult;
struct StatusParams {
  static constexpr std::string_view kMethod = "status";
  static constexpr std::array<std::string_view, 1> kFields = {"owner"};
  using Reply = StatusResult;
  std::optional<uint32_t> owner;
};

// status.reserve: the space reserve (docs/storage-format.md).
struct ReserveStatus {
  std::string file;
  std::string state;  // held, used or missing
  int64_t bytes = 0;  // allocated now
  int64_t size = 0;   // what it holds when whole
  std::optional<std::string> used_at;
  std::optional<std::string> detail;
};

// What only the daemon's owner (user mode) or an admin sees.
struct DiskStatus {
  int64_t db_bytes = 0;
  int64_t db_file_bytes = 0;
  int64_t db_wal_bytes = 0;
  std::optional<int64_t> disk_free_bytes;  // null when unknown
  std::optional<ReserveStatus> reserve;    // null when none is kept
};

// What an unsealed daemon adds.
struct SlotCounts {
  int64_t slots = 0;
  std::map<std::string, int64_t> versions_by_state;
  std::optional<std::string> next_check_at;
  std::optional<std::string> next_scheduled_at;  // null for those who do not see all
  // Copies of exported keys, from the daemon's records (docs/copies.md):
  // absent from a daemon older than the fields.
  std::optional<int64_t> copies, copies_stale, copies_revoked;
};

struct StatusResult {
  std::string version;
  int64_t protocol = 0;
  int64_t pid = 0;
  std::string mode;  // user or system
  bool sealed = false;
  int64_t uptime_s = 0;
  uint32_t peer_uid = 0;
  std::string db;
  std::string socket;
  std::string master_key;
  // The config file the daemon loaded (or would load: it may not exist);
  // absent from a daemon older than the field.
  std::optional<std::string> config_file;
  // The gateway's URL; null when the daemon runs no gateway.
  std::optional<std::string> gateway_url;
  std::optional<DiskStatus> disk;
  std::optional<SlotCounts> counts;
};

struct ProvidersResult;
struct ProvidersParams {
  static constexpr std::string_view kMethod = "providers.list";
  static constexpr std::array<std::string_view, 0> kFields = {};
  using Reply = ProvidersResult;
};

struct ProviderEntry {
  std::string id;
  std::string name;
  std::string env_var;
  std::string key_pattern;
  std::string key_example;
  std::map<std::string, std::string> endpoints;  // name -> base URL after config overrides
  std::string default_endpoint;
  bool custom_url = false;
  int64_t activation_window_s = 0;
};

struct ProvidersResult {
  std::vector<ProviderEntry> providers;
};

struct EventsResult;
struct EventsParams {
  static constexpr std::string_view kMethod = "events.list";
  static constexpr std::array<std::string_view, 3> kFields = {"ref", "since", "owner"};
  using Reply = EventsResult;
  std::optional<std::string> ref;
  std::optional<std::string> since;  // a duration, e.g. "7d"
  std::optional<uint32_t> owner;
};

struct EventsResult {
  std::vector<Event> events;  // oldest first
};

Status Decode(Json& params, StatusParams* out);
Json Encode(const StatusParams& params);
Status Decode(const Json& result, StatusResult* out);
Json Encode(const StatusResult& result);

Status Decode(Json& params, ProvidersParams* out);
Json Encode(const ProvidersParams& params);
Status Decode(const Json& result, ProvidersResult* out);
Json Encode(const ProvidersResult& result);

Status Decode(Json& params, EventsParams* out);
Json Encode(const EventsParams& params);
Status Decode(const Json& result, EventsResult* out);
Json Encode(const EventsResult& result);

}  // namespace keywarden
