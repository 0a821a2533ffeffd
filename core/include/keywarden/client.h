// A blocking client for the daemon socket, used by the CLI and tests.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string_view>

#include "keywarden/protocol.h"
#include "keywarden/secret.h"
#include "keywarden/status.h"

namespace keywarden {

class Client {
 public:
  // Connects to `socket`. kUnavailable (with a hint to start the daemon)
  // when nothing listens there.
  static Result<Client> Connect(const std::filesystem::path& socket,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));

  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Sends one request and waits for its response. The request line is wiped
  // after sending, since params may hold a secret.
  Result<Json> Call(std::string_view method, const Json& params = Json::object());
  // Like Call, but hands result.<member> to `consume` as the daemon's JSON
  // text, unparsed, in pieces as they arrive: for answers too large for a
  // Json tree (`list --json` over 100,000 slots is ~100 MB). `consume`
  // returns how many bytes of a piece belong to the value: all of them until
  // it ends (JsonIndenter::Feed). kProtocol if the result has no such member
  // or the line is malformed; what was consumed before then is not valid.
  Status CallForText(std::string_view method, const Json& params, std::string_view member,
                     const std::function<size_t(std::string_view)>& consume);
  // Like Call, but moves the "secret" string of the result into a
  // SecretBuffer and wipes every copy of the response line.
  Result<SecretBuffer> CallForSecret(std::string_view method, const Json& params, Json* rest);

 private:
  explicit Client(int fd, std::chrono::milliseconds timeout) : fd_(fd), timeout_(timeout) {}
  // The largest response accepted.
  static constexpr size_t kMaxResponseBytes = 256 * 1024 * 1024;

  // Sends `line` and wipes it.
  Status Send(std::string& line);
  // Appends what the daemon sends next to `into`; fails on timeout, close or
  // once the reply, `before` bytes already handed on plus `into`, is over
  // kMaxResponseBytes.
  Status Receive(std::string& into, size_t before = 0);
  // Receives into `response` until it holds a newline; cuts it there. The
  // first `scanned` bytes are known to hold none.
  Status ReceiveLine(std::string& response, size_t scanned);
  Result<std::string> RoundTrip(std::string& line);

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  int64_t next_id_ = 1;
};

}  // namespace keywarden
