// Private to the HTTP client: drives one libcurl multi handle from an Asio
// io_context. Curl's sockets are watched with posix::stream_descriptor waits
// (curl keeps owning them) and its single timeout with a steady_timer.
#pragma once

#include <curl/curl.h>

#include <functional>
#include <map>
#include <memory>

#include "net/asio.h"

namespace keywarden {

// Not copyable; shared only with its own pending Asio handlers, which hold
// weak pointers and do nothing once it is gone. Every member runs on the
// thread that runs `io`.
class CurlMulti : public std::enable_shared_from_this<CurlMulti> {
 public:
  // Called once per finished transfer, after curl has returned (never from
  // inside a curl callback), with the transfer's result. The callee removes
  // the easy handle (Remove) and may Add others.
  using DoneFn = std::function<void(CURL* easy, CURLcode result)>;

  static std::shared_ptr<CurlMulti> Create(asio::io_context& io, DoneFn on_done);
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // Starts `easy`; false if curl refused it (or after Close).
  [[nodiscard]] bool Add(CURL* easy);
  // Detaches `easy`, finished or not; the caller then cleans it up.
  void Remove(CURL* easy);
  // Stops watching every socket and the timer, then frees the multi handle
  // (closing its cached connections). Remove every easy handle first.
  // Idempotent.
  void Close();

 private:
  struct Watch;

  CurlMulti(asio::io_context& io, DoneFn on_done);
  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* self, void* socketp);
  static int OnTimer(CURLM* multi, long timeout_ms, void* self);
  void UpdateWatch(curl_socket_t fd, int what);
  void Forget(curl_socket_t fd);
  void Arm(const std::shared_ptr<Watch>& watch, bool write);
  void OnReady(const std::shared_ptr<Watch>& watch, bool write,
               const boost::system::error_code& ec);
  void Act(curl_socket_t fd, int events);
  void ReportDone();

  asio::io_context& io_;
  DoneFn on_done_;
  CURLM* multi_ = nullptr;  // null after Close
  asio::steady_timer timer_;
  // Sockets curl asked to watch, by fd. An entry leaves (and its descriptor
  // is released, never closed) when curl says CURL_POLL_REMOVE, which it
  // does before closing the socket.
  std::map<curl_socket_t, std::shared_ptr<Watch>> watches_;
};

}  // namespace keywarden
