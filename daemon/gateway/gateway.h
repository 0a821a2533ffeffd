// The gateway (docs/gateway.md): an HTTP/1.1 server on a loopback address
// that takes a tool's request with a keywarden token, picks a key verified
// for the requested model (KeyPool), and forwards the request upstream with
// that key through the streaming HTTP client, relaying the answer as it
// arrives. Runs on the daemon's one io_context: no thread per request.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "keys/keyring.h"
#include "keywarden/config.h"
#include "keywarden/providers.h"
#include "keywarden/slot_store.h"
#include "keywarden/status.h"
#include "net/asio.h"

namespace keywarden {

class AuditWriter;
class TokenRegistry;
class ValidationService;

struct GatewayParts {
  const GatewayConfig& settings;
  const Config& config;  // endpoint overrides, the CA file
  const Catalogue& catalogue;
  SlotStore& slots;
  const std::optional<Keyring>& keyring;
  TokenRegistry& tokens;
  AuditWriter& audit;
  // Re-validates a version that upstream refused (401/403); may be null.
  ValidationService* validation = nullptr;
};

// Neither copyable nor movable. Every member runs on the io_context's thread.
class Gateway {
 public:
  // Binds settings.host:settings.port and starts accepting. kUnavailable
  // (naming the address) when it cannot listen.
  static Result<std::unique_ptr<Gateway>> Open(asio::io_context& io, GatewayParts parts);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // "http://127.0.0.1:8370" (the port as bound).
  std::string url() const;
  // Stops accepting, closes every connection and cancels every upstream
  // request. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit Gateway(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace keywarden
