// Outbound HTTP for validation: libcurl's multi interface driven by the
// Asio event loop (socket and timer callbacks), never a thread per request.
// The only code that includes <curl/curl.h>.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keywarden/secret.h"
#include "net/asio.h"

namespace keywarden {

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string url;
  std::vector<std::string> headers;  // "Name: value", never secret
  // The one header that carries the key ("Authorization: Bearer …"), kept in
  // secure memory until libcurl copies it.
  SecretBuffer secret_header;
  std::string body;  // sent as is (JSON) when method is POST
};

struct HttpResponse {
  int status = 0;                              // 0 when no HTTP answer came (see error)
  std::map<std::string, std::string> headers;  // names lower-cased; last value wins
  std::string body;                            // at most HttpOptions::max_body bytes
  std::string error;                           // transport failure, "" on an HTTP answer
  bool timed_out = false;
  // No connection could be made: the host name does not resolve or the
  // host refuses the connection.
  bool unreachable = false;
  std::chrono::milliseconds elapsed{0};
};

struct HttpOptions {
  std::chrono::seconds timeout{20};
  std::chrono::seconds connect_timeout{10};
  size_t max_per_endpoint = 8;                   // concurrent requests per scheme://host:port
  size_t max_body = 1024 * 1024;                 // a longer body aborts the transfer
  std::optional<std::filesystem::path> ca_file;  // added to the system CAs
};

class HttpClient {
 public:
  HttpClient(asio::io_context& io, HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Queues `request`; `done` runs on the io_context exactly once, also on
  // failure (status 0 and `error` set). Rules, whatever the request says:
  // TLS peer and host verification on; https only, except http to a
  // loopback address; no redirects followed; no proxy from the
  // environment; response bodies capped at max_body. A request to an
  // endpoint already running max_per_endpoint requests waits its turn.
  void Send(HttpRequest request, std::function<void(HttpResponse)> done);

  // Cancels everything in flight; their callbacks run with an error.
  void Shutdown();

  size_t in_flight() const;
  size_t queued() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keywarden
