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
#include <string_view>
#include <utility>
#include <vector>

#include "keywarden/secret.h"
#include "net/asio.h"

namespace keywarden {

struct HttpRequest {
  // GET or POST; a stream (HttpClient::Stream) also PUT, PATCH and DELETE.
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value", never secret
  // The one header that carries the key ("Authorization: Bearer …"), kept in
  // secure memory until libcurl copies it.
  SecretBuffer secret_header;
  std::string body;  // sent as is (JSON) when method is POST
  // A stream's request body, shared with the caller (the gateway keeps it
  // for a retry on the next key); sent as is, with any method, when set.
  std::shared_ptr<const std::string> shared_body;
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
  size_t max_per_endpoint = 8;    // concurrent requests per scheme://host:port
  size_t max_body = 1024 * 1024;  // a longer body aborts the transfer
  // A transfer with no byte received for this long fails (a stream's
  // paused time included).
  std::chrono::seconds low_speed_time{15};
  std::optional<std::filesystem::path> ca_file;  // added to the system CAs
};

// A streamed response's status line and headers (names lower-cased, in
// the order received, repeated names kept).
struct HttpHead {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  const std::string* Find(std::string_view name) const;
};

// What a stream's sink answers to a piece of the body.
enum class StreamControl {
  kTaken,  // consumed; send more as it comes
  kPause,  // not consumed: offered again after HttpClient::Resume
  kAbort,  // not consumed; the transfer ends (OnEnd with error "aborted")
};

// Receives one streamed exchange. OnHead and OnData run from inside
// libcurl (or inside HttpClient::Resume): they must not call the client
// (Stream, Cancel, Resume); anything that does must be posted. OnEnd runs
// posted on the io_context, exactly once, unless the stream was cancelled.
class HttpStreamSink {
 public:
  virtual ~HttpStreamSink() = default;
  // The final (non-1xx) status and headers. False: abort the transfer.
  virtual bool OnHead(const HttpHead& head) = 0;
  virtual StreamControl OnData(std::string_view chunk) = 0;
  // The end: `result.status` and no error when the whole body came;
  // otherwise the transport error (the body in `result` is empty).
  virtual void OnEnd(const HttpResponse& result) = 0;
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

  // Streams one exchange: the same rules as Send, but no cap on the body,
  // which reaches `sink` piece by piece as it arrives (a paused sink holds
  // curl back: backpressure). Returns an id for Resume and Cancel.
  using StreamId = uint64_t;
  StreamId Stream(HttpRequest request, std::shared_ptr<HttpStreamSink> sink);
  // Resumes a stream whose sink answered kPause: the held piece is offered
  // again, possibly before Resume returns. Not from inside a sink callback.
  void Resume(StreamId id);
  // Ends a stream now (queued or running); its sink hears nothing more.
  // Not from inside a sink callback. Unknown or finished ids are ignored.
  void Cancel(StreamId id);

  // Cancels everything in flight; their callbacks run with an error.
  void Shutdown();

  size_t in_flight() const;
  size_t queued() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keywarden
