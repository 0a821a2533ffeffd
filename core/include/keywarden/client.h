// A blocking client for the daemon socket, used by the CLI and tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string_view>
#include <vector>

#include "keywarden/protocol.h"
#include "keywarden/secret.h"
#include "keywarden/secret_json.h"
#include "keywarden/status.h"

namespace keywarden {

class Client {
 public:
  // Connects to `socket`. kUnavailable (with a hint to start the daemon)
  // when nothing listens there. Nothing is sent yet: see CheckServer.
  static Result<Client> Connect(const std::filesystem::path& socket,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // The uid of the process serving the socket (SO_PEERCRED at connect).
  uid_t server_uid() const { return server_uid_; }
  // Fine when the server runs as this process's uid, as root, or as the
  // `keywarden` system user (the password database's entry, if any); any
  // other uid is refused with kUnavailable naming it. Whoever serves a
  // socket the user was pointed at would receive the keys `add` sends and
  // could hand `get` a forged one: the CLI calls this before a request.
  Status CheckServer() const;

  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Sends one request and waits for its response. The request line is wiped
  // after sending. Params holding a secret go in `secrets` instead, so that
  // the line is built in a SecretBuffer (EncodeSecretRequest).
  Result<Json> Call(std::string_view method, const Json& params = Json::object(),
                    const std::vector<SecretParam>& secrets = {});
  // Like Call, but hands result.<member> to `consume` as the daemon's JSON
  // text, unparsed, in pieces as they arrive: for answers too large for a
  // Json tree (`list --json` of 100,000 slots; docs/benchmarks.md). `consume`
  // returns how many bytes of a piece belong to the value: all of them until
  // it ends (JsonIndenter::Feed). kProtocol if the result has no such member
  // or the line is malformed; what was consumed before then is not valid.
  Status CallForText(std::string_view method, const Json& params, std::string_view member,
                     const std::function<size_t(std::string_view)>& consume);
  // Like Call, but the response line is received into SecretBuffers and the
  // result's "secret" string is unescaped into one (ParseSecretResponse); no
  // other copy of it is made. The rest of the result goes to `*rest`.
  Result<SecretBuffer> CallForSecret(std::string_view method, const Json& params, Json* rest);

 private:
  Client(int fd, uid_t server_uid, std::chrono::milliseconds timeout)
      : fd_(fd), server_uid_(server_uid), timeout_(timeout) {}
  // The largest response accepted.
  static constexpr size_t kMaxResponseBytes = 256 * 1024 * 1024;
  // The largest response carrying a secret.
  static constexpr size_t kMaxSecretResponseBytes = 4 * 1024 * 1024;

  // Sends `line` and wipes it.
  Status Send(std::string& line);
  Status SendBytes(std::string_view line);
  // Receives into `*line` (grown as wiped buffers) until it holds a newline;
  // *size is then the line's length, without the newline.
  Status ReceiveSecretLine(SecretBuffer* line, size_t* size);
  // Appends what the daemon sends next to `into`; fails on timeout, close or
  // once the reply, `before` bytes already handed on plus `into`, is over
  // kMaxResponseBytes.
  Status Receive(std::string& into, size_t before = 0);
  // Receives into `response` until it holds a newline; cuts it there. The
  // first `scanned` bytes are known to hold none.
  Status ReceiveLine(std::string& response, size_t scanned);
  Result<std::string> RoundTrip(std::string& line);

  int fd_ = -1;
  uid_t server_uid_ = static_cast<uid_t>(-1);
  std::chrono::milliseconds timeout_;
  int64_t next_id_ = 1;
};

}  // namespace keywarden
