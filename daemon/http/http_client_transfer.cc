#include "http/http_client_transfer.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include "keywarden/secret.h"

namespace keywarden {
namespace {

// A stream's response headers together at most.
constexpr size_t kStreamHeaderBytes = 64 * 1024;

std::optional<std::string> UrlPart(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

// 127.0.0.0/8, ::1 and "localhost" (which curl resolves to loopback itself,
// without asking DNS).
bool IsLoopbackHost(const std::string& host) {
  if (strcasecmp(host.c_str(), "localhost") == 0) return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    in6_addr v6{};
    std::string bare = host.substr(1, host.size() - 2);
    return inet_pton(AF_INET6, bare.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

// curl opens its sockets without close-on-exec; a provider connection kept
// alive must not reach a program the daemon runs (notify.command).
curl_socket_t OpenSocket(void*, curlsocktype, curl_sockaddr* address) {
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// Parses `text` into `url` and returns the endpoint key, or why the URL is refused.
std::expected<std::string, std::string> CheckUrl(CURLU* url, const std::string& text) {
  // The URL may carry a key (?key=…), so errors never quote it.
  if (curl_url_set(url, CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return std::unexpected("invalid or unsupported url");
  }
  auto scheme = UrlPart(url, CURLUPART_SCHEME);
  auto host = UrlPart(url, CURLUPART_HOST);
  auto port = UrlPart(url, CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || !port) return std::unexpected("invalid url");
  if (*scheme != "https" && *scheme != "http") {
    return std::unexpected(fmt::format("scheme {} is not allowed", *scheme));
  }
  if (*scheme == "http" && !IsLoopbackHost(*host)) {
    return std::unexpected("plain http is only allowed to a loopback address");
  }
  return fmt::format("{}://{}:{}", *scheme, *host, *port);
}

// A header line curl would send as given: no line breaks or NULs to smuggle
// a second header or request.
bool IsHeaderLine(std::string_view line) {
  return line.find(':') != std::string_view::npos &&
         line.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool HasHeader(const std::vector<std::string>& headers, std::string_view name) {
  for (const std::string& line : headers) {
    if (line.size() > name.size() && line[name.size()] == ':' &&
        strncasecmp(line.c_str(), name.data(), name.size()) == 0) {
      return true;
    }
  }
  return false;
}

std::string SizeText(size_t bytes) {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) {
    return fmt::format("{} MiB", bytes / (1024 * 1024));
  }
  if (bytes >= 1024 && bytes % 1024 == 0) return fmt::format("{} KiB", bytes / 1024);
  return fmt::format("{} bytes", bytes);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

const std::string* HttpHead::Find(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::expected<std::unique_ptr<Transfer>, std::string> Transfer::Create(HttpRequest& request,
                                                                       const TransferLimits& limits,
                                                                       HttpStreamSink* sink) {
  // Taken first so it is wiped on every return path.
  SecretBuffer secret = std::move(request.secret_header);
  const bool other_method =
      request.method == "PUT" || request.method == "PATCH" || request.method == "DELETE";
  if (request.method != "GET" && request.method != "POST" && !(sink && other_method)) {
    return std::unexpected(fmt::format("method {} is not supported", request.method));
  }
  std::unique_ptr<Transfer> t(new Transfer());
  t->sink_ = sink;
  t->easy_ = curl_easy_init();
  t->url_ = curl_url();
  if (t->easy_ == nullptr || t->url_ == nullptr) return std::unexpected("out of memory");
  auto endpoint = CheckUrl(t->url_, request.url);
  if (!endpoint) return std::unexpected(endpoint.error());
  t->endpoint_ = std::move(*endpoint);

  std::vector<std::string> lines = request.headers;
  for (const std::string& line : lines) {
    if (!IsHeaderLine(line)) return std::unexpected("invalid request header");
  }
  const bool has_body = request.method != "GET" || request.shared_body != nullptr;
  if (request.method == "POST" && !HasHeader(lines, "content-type")) {
    lines.push_back("Content-Type: application/json");
  }
  lines.push_back("Expect:");  // no 100-continue round trip before a POST body
  for (const std::string& line : lines) {
    curl_slist* next = curl_slist_append(t->headers_, line.c_str());
    if (next == nullptr) return std::unexpected("out of memory");
    t->headers_ = next;
  }
  if (!secret.empty()) {
    if (!IsHeaderLine(secret.view())) return std::unexpected("invalid secret header");
    SecretBuffer line(secret.size() + 1);  // zero-filled: the copy is NUL-terminated
    std::memcpy(line.data(), secret.data(), secret.size());
    curl_slist* next = curl_slist_append(t->headers_, reinterpret_cast<const char*>(line.data()));
    if (next == nullptr) return std::unexpected("out of memory");
    t->headers_ = next;
  }
  if (request.shared_body) {
    t->shared_body_ = request.shared_body;
  } else if (has_body) {
    t->post_body_ = std::move(request.body);
  }
  if (!t->Configure(request, limits)) return std::unexpected("could not configure the request");
  return t;
}

bool Transfer::Configure(const HttpRequest& request, const TransferLimits& limits) {
  max_body_ = limits.max_body;
  bool ok = true;
  auto set = [&](CURLoption option, auto value) {
    ok = ok && curl_easy_setopt(easy_, option, value) == CURLE_OK;
  };
  set(CURLOPT_CURLU, url_);
  // http only survives CheckUrl for loopback hosts.
  set(CURLOPT_PROTOCOLS_STR, "https,http");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_MAXREDIRS, 0L);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (limits.ca_bundle != nullptr) {
    curl_blob blob{const_cast<char*>(limits.ca_bundle->data()), limits.ca_bundle->size(),
                   CURL_BLOB_NOCOPY};
    set(CURLOPT_CAINFO_BLOB, &blob);
  }
  set(CURLOPT_PROXY, "");  // never a proxy from the environment
  // HTTP/1.1 only: HTTP/2's header compression keeps the headers it sent
  // (an x-api-key among them) in a table that lives as long as the kept-
  // alive connection, in nghttp2's memory, which is not wiped on free.
  set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_OPENSOCKETFUNCTION, &OpenSocket);
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(limits.connect_timeout.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(limits.timeout.count()));
  // A server trickling bytes does not hold a request past 15 s of silence.
  set(CURLOPT_LOW_SPEED_LIMIT, 1L);
  set(CURLOPT_LOW_SPEED_TIME, static_cast<long>(limits.low_speed_time.count()));
  set(CURLOPT_ERRORBUFFER, error_);
  set(CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  set(CURLOPT_WRITEDATA, this);
  set(CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  set(CURLOPT_HEADERDATA, this);
  set(CURLOPT_HTTPHEADER, headers_);
  const std::string& body = shared_body_ ? *shared_body_ : post_body_;
  if (request.method == "GET" && !shared_body_) {
    set(CURLOPT_HTTPGET, 1L);
  } else {
    set(CURLOPT_POST, 1L);
    set(CURLOPT_POSTFIELDS, body.c_str());
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    if (request.method != "POST") set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  return ok;
}

Transfer::~Transfer() {
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
  for (curl_slist* item = headers_; item != nullptr; item = item->next) {
    explicit_bzero(item->data, std::strlen(item->data));
  }
  curl_slist_free_all(headers_);
  if (url_ != nullptr) curl_url_cleanup(url_);
}

HttpResponse Transfer::Finish(CURLcode result) {
  if (aborted_) return Fail("aborted");
  if (too_large_) return Fail(fmt::format("response larger than {}", SizeText(max_body_)));
  if (result != CURLE_OK) {
    HttpResponse failed = Fail(error_[0] != '\0' ? error_ : curl_easy_strerror(result));
    failed.timed_out = result == CURLE_OPERATION_TIMEDOUT;
    failed.unreachable = result == CURLE_COULDNT_RESOLVE_HOST || result == CURLE_COULDNT_CONNECT;
    return failed;
  }
  HttpResponse response = std::move(response_);
  long status = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  response.elapsed = Elapsed();
  return response;
}

HttpResponse Transfer::Fail(std::string error) const {
  HttpResponse response;
  response.error = std::move(error);
  response.elapsed = Elapsed();
  return response;
}

std::chrono::milliseconds Transfer::Elapsed() const {
  if (started_ == std::chrono::steady_clock::time_point{}) return {};
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               started_);
}

size_t Transfer::OnBody(char* data, size_t size, size_t count, void* self_ptr) {
  auto* self = static_cast<Transfer*>(self_ptr);
  const size_t n = size * count;
  if (self->sink_ != nullptr) {
    switch (self->sink_->OnData(std::string_view(data, n))) {
      case StreamControl::kTaken:
        return n;
      case StreamControl::kPause:
        return CURL_WRITEFUNC_PAUSE;
      case StreamControl::kAbort:
        self->aborted_ = true;
        return 0;
    }
  }
  if (n > self->max_body_ - self->response_.body.size()) {
    self->too_large_ = true;
    return 0;  // anything but n makes curl abort with CURLE_WRITE_ERROR
  }
  self->response_.body.append(data, n);
  return n;
}

size_t Transfer::OnHeader(char* data, size_t size, size_t count, void* self_ptr) {
  auto* self = static_cast<Transfer*>(self_ptr);
  const size_t n = size * count;
  self->header_bytes_ += n;
  const size_t header_cap = self->sink_ != nullptr ? kStreamHeaderBytes : self->max_body_;
  if (self->header_bytes_ > header_cap) {
    self->too_large_ = true;
    return 0;
  }
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    self->response_.headers.clear();  // a new response (after 1xx): only its headers count
    self->head_ = HttpHead{};
    const size_t space = line.find(' ');
    if (space != std::string_view::npos && line.size() >= space + 4) {
      std::string_view code = line.substr(space + 1, 3);
      int status = 0;
      std::from_chars(code.data(), code.data() + code.size(), status);
      self->head_.status = status;
    }
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {  // the blank line ending the headers
    if (self->sink_ != nullptr && !self->head_sent_ && self->head_.status >= 200) {
      self->head_sent_ = true;
      if (!self->sink_->OnHead(self->head_)) {
        self->aborted_ = true;
        return 0;
      }
    }
    return n;
  }
  std::string name(Trim(line.substr(0, colon)));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (self->sink_ != nullptr) {
    self->head_.headers.emplace_back(std::move(name), std::string(Trim(line.substr(colon + 1))));
    return n;
  }
  self->response_.headers[name] = std::string(Trim(line.substr(colon + 1)));
  return n;
}

}  // namespace keywarden
