// Private to the HTTP client: one request as a configured curl easy handle,
// with the fixed safety rules applied whatever the request asks.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <string>

#include "http/http_client.h"

namespace keywarden {

struct TransferLimits {
  std::chrono::milliseconds timeout;
  std::chrono::milliseconds connect_timeout;
  size_t max_body;  // ignored by a stream
  std::chrono::seconds low_speed_time{15};
  // PEM trust store replacing curl's default one (system CAs plus the
  // configured extra CA); null for curl's default. Must outlive the transfer.
  const std::string* ca_bundle = nullptr;
};

// Owns the easy handle, its parsed URL and header list. Not copyable or
// movable: curl holds pointers into it.
class Transfer {
 public:
  // Checks and configures `request`; the error is ready for
  // HttpResponse::error. The secret header is moved out of `request` and
  // wiped on return, whatever the outcome.
  // With `sink`, a stream: the body goes to it as it comes (no cap).
  static std::expected<std::unique_ptr<Transfer>, std::string> Create(
      HttpRequest& request, const TransferLimits& limits, HttpStreamSink* sink = nullptr);
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  CURL* easy() const { return easy_; }
  // "scheme://host:port", the key requests are queued under.
  const std::string& endpoint() const { return endpoint_; }

  // Starts the clock for HttpResponse::elapsed.
  void MarkStarted() { started_ = std::chrono::steady_clock::now(); }
  // The response for a transfer curl finished with `result`.
  HttpResponse Finish(CURLcode result);
  // A failed response (status 0) that never reached or left curl.
  HttpResponse Fail(std::string error) const;

 private:
  Transfer() = default;
  std::chrono::milliseconds Elapsed() const;  // zero before MarkStarted
  [[nodiscard]] bool Configure(const HttpRequest& request, const TransferLimits& limits);
  static size_t OnBody(char* data, size_t size, size_t count, void* self);
  static size_t OnHeader(char* data, size_t size, size_t count, void* self);

  CURL* easy_ = nullptr;
  CURLU* url_ = nullptr;  // the parsed URL curl uses, so the host checked is the host reached
  curl_slist* headers_ = nullptr;  // holds the secret header: wiped before it is freed
  std::string endpoint_;
  std::string post_body_;                           // curl reads it in place during the transfer
  std::shared_ptr<const std::string> shared_body_;  // or this one
  HttpStreamSink* sink_ = nullptr;                  // a stream's; null for a buffered exchange
  HttpHead head_;                                   // a stream's status and headers so far
  bool head_sent_ = false;
  bool aborted_ = false;  // the sink asked to stop
  size_t max_body_ = 0;
  size_t header_bytes_ = 0;
  bool too_large_ = false;  // the body or headers passed max_body; curl was told to stop
  HttpResponse response_;
  std::chrono::steady_clock::time_point started_{};
  char error_[CURL_ERROR_SIZE] = {};
};

}  // namespace keywarden
