// config.json (DESIGN.md "Files and modes"): every field optional, durations
// such as "30s", "5m", "2h", "90d". Unknown fields are errors, so a typo is
// never silently ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keywarden/slot.h"
#include "keywarden/status.h"

namespace keywarden {

struct ProviderOverride {
  std::map<std::string, std::string> endpoints;  // endpoint name -> base URL
  std::optional<int64_t> activation_window;      // seconds
};

struct ValidationConfig {
  int64_t revalidate_every = 24 * 3600;
  int64_t retry_min = 15;
  int64_t retry_max = 5 * 60;
  int64_t timeout = 20;
  int concurrency_per_endpoint = 8;
  std::optional<std::filesystem::path> ca_file;
};

// events: the audit trail's retention (docs/configuration.md). nullopt
// (null in the file): never.
struct EventsConfig {
  std::optional<int64_t> keep = 180 * 24 * 3600;                // delete events older
  std::optional<int64_t> aggregate_gets_after = 7 * 24 * 3600;  // fold served secrets per day
};

// gateway (docs/gateway.md): the loopback HTTP server that forwards tools'
// requests with a verified key. Absent from the file: no gateway.
struct GatewayConfig {
  std::string host;                     // a loopback address: "127.0.0.1", another 127.x or "::1"
  uint16_t port = 0;                    // 0: the kernel picks one (status shows it)
  size_t max_header_bytes = 64 * 1024;  // request line and headers together
  size_t max_headers = 100;             // header fields per request
  size_t max_body_bytes = 32 * 1024 * 1024;  // request body
  int max_per_token = 64;                    // concurrent requests per token
  int max_connections = 4096;                // client connections open at once
  int64_t header_timeout = 30;               // s: a request's headers arrive within
  int64_t body_timeout = 120;                // s: its body arrives within
  int64_t idle_timeout = 120;                // s: a kept-alive connection waits
  int64_t upstream_timeout = 30 * 60;        // s: a whole upstream exchange
  int64_t upstream_silence = 300;            // s: without a byte from upstream
  int64_t write_timeout = 120;               // s: the client takes no byte
  friend bool operator==(const GatewayConfig&, const GatewayConfig&) = default;
};

struct Config {
  std::string default_env = "dev";
  std::map<std::string, ProviderOverride> providers;
  ValidationConfig validation;
  RotationPolicy rotation;
  int64_t repeat_every = 24 * 3600;  // reminders.repeat_every
  std::vector<std::string> notify_command;
  // audit.sync_before_reply: fsync each get's event before the secret is
  // sent, instead of within a second after (see daemon/audit_writer.h).
  bool audit_sync_before_reply = false;
  EventsConfig events;
  std::optional<std::filesystem::path> master_key_file;
  std::string unlock = "file";           // "file" or "passphrase"
  std::optional<GatewayConfig> gateway;  // nullopt: no gateway
};

// "127.0.0.1:8370" or "[::1]:8370" as a loopback address and port;
// kInvalidArgument naming `field` otherwise.
Result<std::pair<std::string, uint16_t>> ParseLoopbackListen(std::string_view text,
                                                             std::string_view field);

// Parses config text. Errors are kInvalidArgument and name the field and
// what was expected, e.g. "config.json: validation.retry_min: expected a
// duration like 30s, 5m, 2h or 90d, got \"soon\"".
Result<Config> ParseConfig(std::string_view text, std::string_view origin = "config.json");
// Reads and parses `file`; a missing file gives the defaults.
Result<Config> LoadConfig(const std::filesystem::path& file);

// "90d" -> 7776000. Units s, m, h, d, w; a bare number is rejected.
Result<int64_t> ParseDuration(std::string_view text);
// 7776000 -> "90d"; picks the largest unit that divides exactly.
std::string FormatDuration(int64_t seconds);

}  // namespace keywarden
