#include "gateway/gateway.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <strings.h>

#include <array>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "audit_writer.h"
#include "gateway/beast.h"
#include "gateway/key_pool.h"
#include "gateway/routes.h"
#include "gateway/token_registry.h"
#include "http/http_client.h"
#include "keywarden/clock.h"
#include "log.h"
#include "validation/validation_service.h"

// Single-threaded by contract: everything here runs on the io_context's
// thread. Curl calls a stream's OnHead and OnData from inside its own
// callbacks; those only queue bytes on the connection (an async write) and
// post anything that calls the HTTP client, the store or validation.

namespace keywarden {
namespace {

using Clock = std::chrono::steady_clock;
using gateway::Candidate;
using gateway::Choice;
using gateway::Fields;
using gateway::Route;

// A connection holds at most this much unsent response before the
// upstream transfer is paused (backpressure on a slow client).
constexpr size_t kHighWater = 256 * 1024;
// A version refused by upstream (401/403) is re-validated at most this
// often from the gateway.
constexpr int64_t kRecheckEvery = 60;
// A 429 without Retry-After cools the key down this long; a longer
// Retry-After is capped.
constexpr int64_t kDefaultCooldown = 30;
constexpr int64_t kMaxCooldown = 3600;

bool FailsOver(int status) {
  return status == 401 || status == 402 || status == 403 || status == 429 || status >= 500;
}

std::string Reason(int status) {
  std::string_view reason = StdView(http::obsolete_reason(static_cast<http::status>(status)));
  return reason.empty() ? std::string("Unknown") : std::string(reason);
}

class Connection;

}  // namespace

struct Gateway::Impl {
  Impl(asio::io_context& io_context, GatewayParts p);

  void Accept();
  void Stop();
  // Records one event (group-committed with the served secrets' events).
  void Record(Event event) { parts.audit.Record(std::move(event)); }
  // After an upstream refused `candidate` with `status`, before a byte was
  // relayed: schedules its re-validation (401/403) or cools it (429).
  void Refused(const Candidate& candidate, int status, std::optional<int64_t> retry_after,
               const std::string& token_name);

  asio::io_context& io;
  GatewayParts parts;
  const GatewayConfig settings;  // a copy: a reload does not change the running gateway
  TcpAcceptor acceptor;
  HttpClient http;
  gateway::KeyPool pool;
  // Every open connection, owned here until it closes (an exchange waiting
  // on upstream has no socket operation pending to keep it alive).
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;
  std::map<std::pair<uint32_t, std::string>, int> in_flight;  // per token (owner, name)
  std::map<int64_t, int64_t> rechecked;                       // version id -> when
  bool stopped = false;
};

namespace {

// One request in progress: its chosen keys, the upstream attempt running,
// and the relay of its answer.
class Exchange : public HttpStreamSink, public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(Gateway::Impl& gw, std::weak_ptr<Connection> conn) : gw_(gw), conn_(std::move(conn)) {}
  ~Exchange() override;

  bool OnHead(const HttpHead& head) override;
  StreamControl OnData(std::string_view chunk) override;
  void OnEnd(const HttpResponse& result) override;

  void Begin();
  // The client is gone or the connection closes: stop upstream.
  void Cancel();
  // The connection's unsent bytes fell low: let curl go on.
  void Drained();

  // Filled by the connection before Begin.
  std::string method;
  Fields fields;  // what goes upstream
  std::shared_ptr<const std::string> body;
  Route route;
  std::string model;
  GatewayToken token;
  bool http11 = true;
  bool keep_alive = true;
  Clock::time_point started = Clock::now();

 private:
  void StartAttempt();
  void Finish(int status, const std::string& note);
  HttpRequest Upstream(const Candidate& candidate) const;

  Gateway::Impl& gw_;
  std::weak_ptr<Connection> conn_;
  Choice choice_;
  size_t attempt_ = 0;
  HttpClient::StreamId stream_ = 0;
  bool streaming_ = false;     // an upstream transfer is running
  bool head_sent_ = false;     // bytes of the answer reached the connection
  bool chunked_ = false;       // the answer is framed in chunks
  bool no_body_ = false;       // 204/304: no body framing at all
  bool paused_ = false;        // curl holds a piece until Drained
  bool failing_over_ = false;  // the running attempt was refused: try the next
  bool finished_ = false;
  bool counted_ = false;  // holds one of the token's concurrent requests
  int status_ = 0;
  int refused_status_ = 0;
  std::optional<std::string> retry_after_, retry_after_ms_;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Gateway::Impl& gw, TcpSocket socket)
      : gw_(gw), socket_(std::move(socket)), timer_(gw.io), write_timer_(gw.io) {}

  void Start() { ReadHeader(); }
  void Close();
  bool closed() const { return closed_; }

  // Queues bytes of the response.
  void Send(std::string_view bytes);
  size_t unsent() const { return out_.size() + writing_.size(); }
  // The gateway's own answer, in `provider`'s error shape.
  void Answer(const ProviderInfo* provider, int status, std::string_view message,
              bool close = false, const std::vector<std::string>& extra = {});
  // The exchange's answer is complete: read the next request, or close.
  void ExchangeDone(bool keep_alive);
  // The exchange's answer is cut short: close once what was sent is sent.
  void CloseAfterWrite() {
    close_after_write_ = true;
    if (!write_busy_) Linger();
  }

 private:
  // Ends the connection gracefully once the answer is out: no more
  // sending, what the client still sends is read and dropped for a moment,
  // so that an answer refusing a request whose rest was never read is not
  // lost to a reset.
  void Linger();
  void ReadHeader();
  void OnHeader(beast::error_code ec);
  void ReadBody();
  void OnBody(beast::error_code ec);
  // Route, method, token and the token's concurrency, checked once the
  // headers are in (before a body is read); false after answering.
  bool Admit();
  void StartExchange();
  void Arm(int64_t seconds);
  void Flush();

  Gateway::Impl& gw_;
  TcpSocket socket_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  asio::steady_timer timer_;        // the phase being read
  asio::steady_timer write_timer_;  // the client taking a write
  std::string out_, writing_;
  bool write_busy_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
  bool idle_ = true;  // no request read yet on this connection, or between two
  const ProviderInfo* provider_ = nullptr;  // the route's, for error shapes
  // The admitted request's, while its body is read.
  Route route_;
  GatewayToken token_;
  Fields fields_;
  std::shared_ptr<Exchange> exchange_;
  std::shared_ptr<std::function<void()>> drain_;  // Linger's read loop
};

void Connection::Arm(int64_t seconds) {
  timer_.expires_after(std::chrono::seconds(seconds));
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->Close();
  });
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  auto keep = shared_from_this();  // until this returns: the map lets go below
  boost::system::error_code ignored;
  timer_.cancel();
  write_timer_.cancel();
  socket_.shutdown(TcpSocket::shutdown_both, ignored);
  socket_.close(ignored);
  drain_.reset();
  if (exchange_) {
    exchange_->Cancel();
    exchange_.reset();
  }
  gw_.connections.erase(this);
}

void Connection::Linger() {
  if (closed_) return;
  if (exchange_) {
    exchange_->Cancel();
    exchange_.reset();
  }
  boost::system::error_code ignored;
  socket_.shutdown(TcpSocket::shutdown_send, ignored);
  Arm(2);
  auto sink = std::make_shared<std::array<char, 4096>>();
  auto drain = std::make_shared<std::function<void()>>();
  *drain = [self = shared_from_this(), sink, weak_drain = std::weak_ptr(drain)] {
    self->socket_.async_read_some(
        asio::buffer(*sink), [self, sink, weak_drain](const boost::system::error_code& ec, size_t) {
          if (ec || self->closed_) return self->Close();
          if (auto again = weak_drain.lock()) (*again)();
        });
  };
  (*drain)();
  drain_ = drain;
}

void Connection::ReadHeader() {
  if (closed_) return;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(gw_.settings.max_header_bytes));
  parser_->body_limit(gw_.settings.max_body_bytes);
  provider_ = nullptr;
  Arm(idle_ ? gw_.settings.idle_timeout : gw_.settings.header_timeout);
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

void Connection::OnHeader(beast::error_code ec) {
  timer_.cancel();
  if (closed_) return;
  if (ec == http::error::header_limit) {
    return Answer(nullptr, 431, "keywarden: the request's headers are too large", true);
  }
  if (ec == http::error::body_limit) {  // its Content-Length says so already
    return Answer(nullptr, 413,
                  fmt::format("keywarden: the request body is larger than {} bytes",
                              gw_.settings.max_body_bytes),
                  true);
  }
  if (ec) return Close();  // the client left, or sent what is not HTTP
  idle_ = false;
  const auto& request = parser_->get();
  size_t count = 0;
  for (const auto& field : request) {
    (void)field;
    ++count;
  }
  if (count > gw_.settings.max_headers) {
    return Answer(nullptr, 431, "keywarden: the request has too many header fields", true);
  }
  // DNS rebinding: a page on another name resolving to 127.0.0.1 sends its
  // own Host. Browsers: any cross-site request carries Origin.
  if (!gateway::IsLoopbackHost(StdView(request[http::field::host]))) {
    return Answer(nullptr, 421, "keywarden: the gateway answers only requests to a loopback host",
                  true);
  }
  if (request.find(http::field::origin) != request.end()) {
    return Answer(nullptr, 403, "keywarden: the gateway refuses requests from web pages (Origin)",
                  true);
  }
  if (!Admit()) return;
  const std::string_view expect = StdView(request[http::field::expect]);
  if (!parser_->is_done() && !expect.empty()) {
    if (strcasecmp(std::string(expect).c_str(), "100-continue") != 0) {
      return Answer(nullptr, 417, "keywarden: unsupported Expect", true);
    }
    Send("HTTP/1.1 100 Continue\r\n\r\n");
  }
  ReadBody();
}

void Connection::ReadBody() {
  if (parser_->is_done()) return OnBody({});
  Arm(gw_.settings.body_timeout);
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
}

void Connection::OnBody(beast::error_code ec) {
  timer_.cancel();
  if (closed_) return;
  if (ec == http::error::body_limit) {
    return Answer(nullptr, 413,
                  fmt::format("keywarden: the request body is larger than {} bytes",
                              gw_.settings.max_body_bytes),
                  true);
  }
  if (ec) return Close();
  StartExchange();
}

bool Connection::Admit() {
  auto& request = parser_->get();
  // Refused before its body is read: the connection closes after the answer.
  const bool close = !request.keep_alive() || !parser_->is_done();
  const std::string target(StdView(request.target()));
  Result<Route> route = gateway::ParseRoute(gw_.parts.catalogue, target);
  if (!route) {
    Answer(nullptr, route.error().code == ErrorCode::kNotFound ? 404 : 400, route.error().message,
           close);
    return false;
  }
  provider_ = route->provider;
  const std::string method(StdView(request.method_string()));
  if (method != "GET" && method != "POST" && method != "PUT" && method != "PATCH" &&
      method != "DELETE") {
    Answer(provider_, 405, "keywarden: the gateway forwards GET, POST, PUT, PATCH and DELETE",
           close);
    return false;
  }
  fields_.clear();
  for (const auto& field : request) {
    std::string name(StdView(field.name_string()));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    fields_.emplace_back(std::move(name), std::string(StdView(field.value())));
  }
  const size_t query_at = target.find('?');
  const std::string_view raw_query = query_at == std::string::npos
                                         ? std::string_view()
                                         : std::string_view(target).substr(query_at + 1);
  std::optional<gateway::PresentedToken> presented = gateway::FindToken(fields_, raw_query);
  auto event = [&](int status, std::string detail) {
    Event e;
    e.at = NowSeconds();
    e.action = "gateway";
    e.detail = fmt::format("provider={} status={} ({})", provider_->id, status, detail);
    gw_.Record(std::move(e));
  };
  if (!presented) {
    event(401, "no token");
    Answer(provider_, 401,
           "keywarden: no gateway token; send the kwt_… token where the provider's key goes "
           "(see `keywarden token add`)",
           close);
    return false;
  }
  std::optional<GatewayToken> token = gw_.parts.tokens.Verify(presented->text, NowSeconds());
  if (!token) {
    const bool sealed = !gw_.parts.keyring.has_value();
    event(sealed ? 503 : 401, sealed ? "sealed" : "unknown token");
    if (sealed) {
      Answer(provider_, 503, "keywarden: keywardend is sealed; run `keywarden unlock`", close);
      return false;
    }
    const bool looks_like_token = presented->text.starts_with("kwt_");
    Answer(provider_, 401,
           looks_like_token ? "keywarden: unknown or expired gateway token; `keywarden token "
                              "list` shows yours"
                            : "keywarden: the gateway takes a keywarden token (kwt_…), not a "
                              "provider key; create one with `keywarden token add`",
           close);
    return false;
  }
  auto it = gw_.in_flight.find(std::pair{token->owner_uid, token->name});
  if (it != gw_.in_flight.end() && it->second >= gw_.settings.max_per_token) {
    event(429, "token " + token->name + " at its concurrency cap");
    Answer(provider_, 429,
           fmt::format("keywarden: token {} has {} requests running, the most allowed "
                       "(gateway.max_per_token)",
                       token->name, gw_.settings.max_per_token),
           close, {"Retry-After: 1"});
    return false;
  }
  route_ = std::move(*route);
  token_ = std::move(*token);
  return true;
}

void Connection::StartExchange() {
  auto& request = parser_->get();
  auto exchange = std::make_shared<Exchange>(gw_, weak_from_this());
  exchange->method = std::string(StdView(request.method_string()));
  exchange->http11 = request.version() == 11;
  exchange->keep_alive = request.keep_alive();
  exchange->route = std::move(route_);
  exchange->token = std::move(token_);
  for (auto& [name, value] : fields_) {
    if (gateway::ForwardRequestHeader(name)) exchange->fields.emplace_back(name, std::move(value));
  }
  fields_.clear();
  std::string body = std::move(request.body());
  exchange->model = gateway::RequestedModel(*exchange->route.provider, exchange->route.rest, body);
  if (!body.empty() || exchange->method != "GET") {
    exchange->body = std::make_shared<const std::string>(std::move(body));
  }
  parser_.reset();
  exchange_ = exchange;
  exchange->Begin();
}

void Connection::Send(std::string_view bytes) {
  if (closed_) return;
  out_.append(bytes);
  Flush();
}

void Connection::Flush() {
  if (write_busy_ || out_.empty() || closed_) return;
  write_busy_ = true;
  writing_.swap(out_);
  out_.clear();
  write_timer_.expires_after(std::chrono::seconds(gw_.settings.write_timeout));
  write_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->Close();  // the client takes nothing: let it go
  });
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      self->write_busy_ = false;
                      self->write_timer_.cancel();
                      self->writing_.clear();
                      if (ec) return self->Close();
                      if (self->closed_) return;
                      if (!self->out_.empty()) return self->Flush();
                      if (self->close_after_write_) return self->Linger();
                      if (self->exchange_) self->exchange_->Drained();
                    });
}

void Connection::Answer(const ProviderInfo* provider, int status, std::string_view message,
                        bool close, const std::vector<std::string>& extra) {
  const std::string body =
      gateway::ErrorBody(provider != nullptr ? provider : provider_, status, message);
  std::string head =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                  status, Reason(status), body.size());
  for (const std::string& line : extra) head += line + "\r\n";
  if (close) head += "Connection: close\r\n";
  head += "\r\n";
  Send(head + body);
  if (close) {
    CloseAfterWrite();
    return;
  }
  ExchangeDone(true);
}

void Connection::ExchangeDone(bool keep_alive) {
  exchange_.reset();
  if (!keep_alive) return CloseAfterWrite();
  idle_ = true;
  ReadHeader();
}

// Exchange.

Exchange::~Exchange() {
  if (counted_) {
    auto key = std::pair{token.owner_uid, token.name};
    auto it = gw_.in_flight.find(key);
    if (it != gw_.in_flight.end() && --it->second <= 0) gw_.in_flight.erase(it);
  }
}

void Exchange::Begin() {
  ++gw_.in_flight[{token.owner_uid, token.name}];
  counted_ = true;
  gateway::Scope scope{token.owner_uid, token.env, token.slots};
  choice_ = gw_.pool.Choose(scope, route, model, NowSeconds());
  if (choice_.order.empty()) {
    auto conn = conn_.lock();
    Finish(choice_.status, "refused");
    if (conn) conn->Answer(route.provider, choice_.status, choice_.message, !keep_alive);
    return;
  }
  StartAttempt();
}

HttpRequest Exchange::Upstream(const Candidate& candidate) const {
  HttpRequest request;
  request.method = method;
  request.url = gateway::UpstreamUrl(candidate.base_url, route.rest);
  if (!route.query.empty()) request.url += "?" + route.query;
  for (const auto& [name, value] : fields) request.headers.push_back(name + ": " + value);
  const Json& auth = route.provider->spec.contains("auth") ? route.provider->spec["auth"] : Json();
  if (auth.is_object()) {
    if (auto extra = auth.find("extra_headers"); extra != auth.end() && extra->is_object()) {
      for (const auto& [name, value] : extra->items()) {
        bool sent = false;
        for (const auto& field : fields) sent = sent || field.first == name;
        if (!sent && value.is_string()) {
          request.headers.push_back(name + ": " + value.get<std::string>());
        }
      }
    }
  }
  std::string kind = "authorization-bearer";
  if (auth.is_object() && auth.contains("header") && auth["header"].is_string()) {
    kind = auth["header"].get<std::string>();
  }
  std::string_view prefix = "Authorization: Bearer ";
  if (kind == "x-api-key") prefix = "x-api-key: ";
  if (kind == "x-goog-api-key") prefix = "x-goog-api-key: ";
  const SecretBuffer& key = *candidate.secret;
  SecretBuffer header(prefix.size() + key.size());
  std::memcpy(header.data(), prefix.data(), prefix.size());
  if (key.size() > 0) std::memcpy(header.data() + prefix.size(), key.data(), key.size());
  request.secret_header = std::move(header);
  request.shared_body = body;
  return request;
}

void Exchange::StartAttempt() {
  const Candidate& candidate = *choice_.order[attempt_];
  streaming_ = true;
  failing_over_ = false;
  refused_status_ = 0;
  retry_after_.reset();
  retry_after_ms_.reset();
  stream_ = gw_.http.Stream(Upstream(candidate), shared_from_this());
}

bool Exchange::OnHead(const HttpHead& head) {
  auto conn = conn_.lock();
  if (!conn || conn->closed()) return false;
  status_ = head.status;
  if (FailsOver(head.status)) {
    refused_status_ = head.status;
    if (const std::string* v = head.Find("retry-after")) retry_after_ = *v;
    if (const std::string* v = head.Find("retry-after-ms")) retry_after_ms_ = *v;
    if (attempt_ + 1 < choice_.order.size()) {
      failing_over_ = true;
      return false;  // nothing relayed: the next key gets the request
    }
  }
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", head.status, Reason(head.status));
  bool length_known = false;
  for (const auto& [name, value] : head.headers) {
    if (name == "content-length") {
      length_known = true;
      out += "Content-Length: " + value + "\r\n";
    }
    if (!gateway::ForwardResponseHeader(name)) continue;
    out += name + ": " + value + "\r\n";
  }
  no_body_ = head.status == 204 || head.status == 304;
  chunked_ = !no_body_ && !length_known && http11;
  if (chunked_) out += "Transfer-Encoding: chunked\r\n";
  if (!no_body_ && !length_known && !http11) keep_alive = false;  // the end is the close
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  head_sent_ = true;
  conn->Send(out);
  return true;
}

StreamControl Exchange::OnData(std::string_view chunk) {
  auto conn = conn_.lock();
  if (!conn || conn->closed()) return StreamControl::kAbort;
  if (failing_over_) return StreamControl::kAbort;
  if (conn->unsent() >= kHighWater) {
    paused_ = true;
    return StreamControl::kPause;
  }
  if (chunk.empty()) return StreamControl::kTaken;
  if (chunked_) {
    conn->Send(fmt::format("{:x}\r\n", chunk.size()));
    conn->Send(chunk);
    conn->Send("\r\n");
  } else if (!no_body_) {
    conn->Send(chunk);
  }
  return StreamControl::kTaken;
}

void Exchange::Drained() {
  if (paused_ && streaming_) {
    paused_ = false;
    gw_.http.Resume(stream_);  // may call OnData before it returns
  }
}

void Exchange::Cancel() {
  if (streaming_) {
    streaming_ = false;
    gw_.http.Cancel(stream_);
  }
  if (!finished_) Finish(499, "client gone");
}

void Exchange::OnEnd(const HttpResponse& result) {
  streaming_ = false;
  auto conn = conn_.lock();
  if (!conn || conn->closed()) {
    if (!finished_) Finish(499, "client gone");
    return;
  }
  const Candidate& candidate = *choice_.order[attempt_];
  const bool refused = refused_status_ != 0 && !head_sent_;
  const bool no_answer = !result.error.empty() && !head_sent_ && !failing_over_;
  if (refused_status_ != 0) {
    std::optional<int64_t> wait =
        gateway::RetryAfterSeconds(retry_after_, retry_after_ms_, NowSeconds());
    gw_.Refused(candidate, refused_status_, wait, token.name);
  }
  if ((refused || no_answer) && attempt_ + 1 < choice_.order.size()) {
    const Candidate& next = *choice_.order[attempt_ + 1];
    Event e;
    e.at = NowSeconds();
    e.uid = token.owner_uid;
    e.owner_uid = candidate.slot->owner_uid;
    e.action = "gateway_failover";
    e.ref = candidate.slot->ref.str();
    e.version = candidate.version;
    e.fingerprint = candidate.fingerprint;
    e.detail =
        fmt::format("{}; next: {} version {}",
                    refused ? fmt::format("status {}", refused_status_) : std::string("no answer"),
                    next.slot->ref.str(), next.version);
    log::Notice("gateway: failing over to the next key",
                {{"slot", e.ref},
                 {"reason", refused ? std::to_string(refused_status_) : "no answer"},
                 {"next", next.slot->ref.str()}});
    gw_.Record(std::move(e));
    ++attempt_;
    return StartAttempt();
  }
  if (!head_sent_) {
    // Every try failed without an answer to relay.
    Finish(502, "no answer");
    conn->Answer(route.provider, 502,
                 fmt::format("keywarden: {} did not answer: {}", route.provider->display_name,
                             result.error.empty() ? std::string("aborted") : result.error),
                 !keep_alive);
    return;
  }
  if (!result.error.empty()) {
    // Cut short mid-answer: the client sees the connection end early.
    Finish(status_, "upstream cut short");
    conn->CloseAfterWrite();
    return;
  }
  if (chunked_) conn->Send("0\r\n\r\n");
  Finish(status_, "");
  conn->ExchangeDone(keep_alive);
}

void Exchange::Finish(int status, const std::string& note) {
  if (finished_) return;
  finished_ = true;
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  Event e;
  e.at = NowSeconds();
  e.uid = token.owner_uid;
  e.action = "gateway";
  if (!choice_.order.empty()) {
    const Candidate& candidate = *choice_.order[std::min(attempt_, choice_.order.size() - 1)];
    e.owner_uid = candidate.slot->owner_uid;
    e.ref = candidate.slot->ref.str();
    e.version = candidate.version;
    e.fingerprint = candidate.fingerprint;
  } else {
    e.owner_uid = token.owner_uid;
  }
  e.detail = fmt::format(
      "token={} provider={} endpoint={} model={} status={} ms={} tries={}{}", token.name,
      route.provider->id, route.endpoint, model.empty() ? "-" : model, status, ms,
      choice_.order.empty() ? 0 : attempt_ + 1, note.empty() ? "" : " (" + note + ")");
  gw_.Record(std::move(e));
}

}  // namespace

Gateway::Impl::Impl(asio::io_context& io_context, GatewayParts p)
    : io(io_context),
      parts(p),
      settings(p.settings),
      acceptor(io_context),
      http(io_context,
           HttpOptions{std::chrono::seconds(p.settings.upstream_timeout), std::chrono::seconds(10),
                       static_cast<size_t>(p.settings.max_connections), 0,
                       std::chrono::seconds(p.settings.upstream_silence),
                       p.config.validation.ca_file}),
      pool(p.slots, p.keyring, p.config, p.catalogue) {}

void Gateway::Impl::Accept() {
  acceptor.async_accept([this](boost::system::error_code ec, TcpSocket socket) {
    if (stopped || !acceptor.is_open()) return;
    if (!ec) {
      if (connections.size() >= static_cast<size_t>(settings.max_connections)) {
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        boost::system::error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);
        auto conn = std::make_shared<Connection>(*this, std::move(socket));
        connections.emplace(conn.get(), conn);
        conn->Start();
      }
    } else if (ec == asio::error::no_descriptors) {
      log::Warning("gateway: out of file descriptors; a connection waits in the backlog");
    }
    Accept();
  });
}

void Gateway::Impl::Stop() {
  if (stopped) return;
  stopped = true;
  boost::system::error_code ignored;
  acceptor.close(ignored);
  std::vector<std::shared_ptr<Connection>> open;
  for (auto& [raw, conn] : connections) open.push_back(conn);
  for (auto& conn : open) conn->Close();
  connections.clear();
  http.Shutdown();
  pool.Clear();
}

void Gateway::Impl::Refused(const Candidate& candidate, int status,
                            std::optional<int64_t> retry_after, const std::string& token_name) {
  const int64_t now = NowSeconds();
  const std::string ref = candidate.slot->ref.str();
  if (status == 429) {
    const int64_t wait = std::min(retry_after.value_or(kDefaultCooldown), kMaxCooldown);
    pool.CoolDown(candidate.version_id, now + wait);
    Event e;
    e.at = now;
    e.uid = candidate.slot->owner_uid;
    e.owner_uid = candidate.slot->owner_uid;
    e.action = "key_cooled";
    e.ref = ref;
    e.version = candidate.version;
    e.fingerprint = candidate.fingerprint;
    e.detail = fmt::format("429 through the gateway (token {}); skipped for {}s", token_name, wait);
    log::Notice("gateway: key cooled down after a 429",
                {{"slot", ref}, {"seconds", std::to_string(wait)}});
    Record(std::move(e));
    return;
  }
  if ((status == 401 || status == 403) && parts.validation != nullptr) {
    auto& last = rechecked[candidate.version_id];
    if (now - last < kRecheckEvery) return;
    last = now;
    log::Notice("gateway: upstream refused a key; re-validating it now",
                {{"slot", ref}, {"status", std::to_string(status)}});
    Slot slot = *candidate.slot;
    // Posted: validation writes the store, which moves the pool's generation.
    asio::post(io, [this, slot = std::move(slot)] {
      if (stopped) return;
      if (Status ok = parts.validation->ValidateNow(slot, nullptr); !ok) {
        log::Warning("gateway: cannot schedule the re-validation",
                     {{"slot", slot.ref.str()}, {"error", ok.error().message}});
      }
    });
  }
}

Result<std::unique_ptr<Gateway>> Gateway::Open(asio::io_context& io, GatewayParts parts) {
  auto impl = std::make_shared<Impl>(io, parts);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(impl->settings.host, ec);
  if (ec || !address.is_loopback()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("gateway.listen: {} is not a loopback address", impl->settings.host));
  }
  const asio::ip::tcp::endpoint endpoint(address, impl->settings.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(TcpAcceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("the gateway cannot listen on {}:{}: {}", impl->settings.host,
                            impl->settings.port, ec.message()),
                "pick another port in gateway.listen, or stop what holds this one");
  }
  ::fcntl(impl->acceptor.native_handle(), F_SETFD, FD_CLOEXEC);
  impl->Accept();
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

// Stop closes the acceptor and the connections and cancels the client's
// transfers; a throw there means a reactor gone wrong, and ending the
// daemon is then right.
Gateway::~Gateway() { impl_->Stop(); }  // NOLINT(bugprone-exception-escape)

std::string Gateway::url() const {
  boost::system::error_code ec;
  const auto endpoint = impl_->acceptor.local_endpoint(ec);
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("http://[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("http://{}:{}", address.to_string(), endpoint.port());
}

void Gateway::Stop() { impl_->Stop(); }

}  // namespace keywarden
