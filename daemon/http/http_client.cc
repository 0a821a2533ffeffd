#include "http/http_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <iterator>
#include <mutex>
#include <set>

#include "http/http_client_memory.h"
#include "http/http_client_multi.h"
#include "http/http_client_transfer.h"
#include "keywarden/regular_file.h"

// Single-threaded by contract: every member, and `done`, runs on the one
// thread that runs the io_context.

namespace keywarden {
namespace {

constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

std::optional<std::string> ReadFile(const std::filesystem::path& path) {
  Result<std::string> text = ReadRegularFile(path, "CA file", 16 << 20);
  if (!text) return std::nullopt;
  return std::move(*text);
}

}  // namespace

struct HttpClient::Impl {
  struct Job {
    std::unique_ptr<Transfer> transfer;
    std::function<void(HttpResponse)> done;
    std::shared_ptr<HttpStreamSink> sink;  // a stream's; its OnEnd replaces `done`
    StreamId id = 0;
  };
  struct Endpoint {
    size_t running = 0;
    std::deque<Job> waiting;
  };

  Impl(asio::io_context& io_context, HttpOptions opts);
  void Send(HttpRequest request, std::function<void(HttpResponse)> done,
            std::shared_ptr<HttpStreamSink> sink = nullptr, StreamId id = 0);
  void Cancel(StreamId id);
  void Pump(const std::string& key);
  void OnDone(CURL* easy, CURLcode result);
  void Post(std::function<void(HttpResponse)> done, HttpResponse response);
  void Shutdown();

  asio::io_context& io;
  const HttpOptions options;
  // Combined PEM (system CAs + options.ca_file) when a CA file is configured,
  // since CURLOPT_CAINFO* replaces curl's default trust store.
  std::optional<std::string> ca_bundle;
  std::string ca_error;  // non-empty: the CA file is unreadable and every request fails
  std::shared_ptr<CurlMulti> multi;
  std::map<CURL*, Job> running;
  // Endpoints with a request running or waiting; an idle one is erased.
  std::map<std::string, Endpoint> endpoints;
  size_t queued = 0;  // sum of waiting over endpoints
  bool shut_down = false;
  StreamId next_stream = 1;
  std::map<StreamId, CURL*> streams;  // running streams (queued ones are not here)
  // Not yet ended or cancelled; shared with the posted completions, which
  // may outlive the client.
  std::shared_ptr<std::set<StreamId>> live_streams = std::make_shared<std::set<StreamId>>();
};

HttpClient::Impl::Impl(asio::io_context& io_context, HttpOptions opts)
    : io(io_context), options(std::move(opts)) {
  http_memory::InitCurl();
  if (options.ca_file) {
    std::optional<std::string> extra = ReadFile(*options.ca_file);
    if (!extra) {
      ca_error = fmt::format("cannot read CA file {}", options.ca_file->string());
    } else {
      // A machine without the system bundle still trusts the configured CA.
      std::string bundle = ReadFile(kSystemCaBundle).value_or("");
      bundle += '\n';
      bundle += *extra;
      ca_bundle = std::move(bundle);
    }
  }
  multi = CurlMulti::Create(io, [this](CURL* easy, CURLcode result) { OnDone(easy, result); });
}

void HttpClient::Impl::Send(HttpRequest request, std::function<void(HttpResponse)> done,
                            std::shared_ptr<HttpStreamSink> sink, StreamId id) {
  if (sink) {
    // OnEnd, posted like every completion; a cancelled stream never gets it.
    live_streams->insert(id);
    done = [live = live_streams, sink, id](HttpResponse response) {
      if (live->erase(id) != 0) sink->OnEnd(response);
    };
  }
  if (shut_down || !ca_error.empty()) {
    // Still moves the secret out so that it is wiped now.
    SecretBuffer secret = std::move(request.secret_header);
    HttpResponse failed;
    failed.error = shut_down ? "http client is shut down" : ca_error;
    Post(std::move(done), std::move(failed));
    return;
  }
  TransferLimits limits{options.timeout, options.connect_timeout, options.max_body,
                        options.low_speed_time, ca_bundle ? &*ca_bundle : nullptr};
  auto transfer = Transfer::Create(request, limits, sink.get());
  if (!transfer) {
    HttpResponse failed;
    failed.error = std::move(transfer.error());
    Post(std::move(done), std::move(failed));
    return;
  }
  std::string key = (*transfer)->endpoint();
  endpoints[key].waiting.push_back(Job{std::move(*transfer), std::move(done), std::move(sink), id});
  ++queued;
  Pump(key);
}

// Starts waiting requests for `key` while it has a free slot.
void HttpClient::Impl::Pump(const std::string& key) {
  auto it = endpoints.find(key);
  if (it == endpoints.end()) return;
  Endpoint& endpoint = it->second;
  const size_t limit = std::max<size_t>(options.max_per_endpoint, 1);
  while (endpoint.running < limit && !endpoint.waiting.empty()) {
    Job job = std::move(endpoint.waiting.front());
    endpoint.waiting.pop_front();
    --queued;
    CURL* easy = job.transfer->easy();
    job.transfer->MarkStarted();
    if (!multi->Add(easy)) {
      Post(std::move(job.done), job.transfer->Fail("could not start the request"));
      continue;
    }
    ++endpoint.running;
    if (job.id != 0) streams[job.id] = easy;
    running.emplace(easy, std::move(job));
  }
  if (endpoint.running == 0 && endpoint.waiting.empty()) endpoints.erase(it);
}

void HttpClient::Impl::OnDone(CURL* easy, CURLcode result) {
  auto it = running.find(easy);
  if (it == running.end()) return;
  Job job = std::move(it->second);
  running.erase(it);
  if (job.id != 0) streams.erase(job.id);
  multi->Remove(easy);
  const std::string key = job.transfer->endpoint();
  Post(std::move(job.done), job.transfer->Finish(result));
  job.transfer.reset();  // frees the handle and wipes the header list now
  auto endpoint = endpoints.find(key);
  if (endpoint != endpoints.end()) --endpoint->second.running;
  Pump(key);
}

// User callbacks always run from the io_context, never from inside curl or
// from inside Send, so they may call Send or Shutdown freely.
void HttpClient::Impl::Post(std::function<void(HttpResponse)> done, HttpResponse response) {
  if (!done) return;
  asio::post(io, [done = std::move(done), response = std::move(response)]() mutable {
    done(std::move(response));
  });
}

void HttpClient::Impl::Cancel(StreamId id) {
  live_streams->erase(id);
  if (auto it = streams.find(id); it != streams.end()) {
    CURL* easy = it->second;
    streams.erase(it);
    auto job = running.find(easy);
    if (job == running.end()) return;
    const std::string key = job->second.transfer->endpoint();
    multi->Remove(easy);
    running.erase(job);  // frees the handle and wipes its header list
    if (auto endpoint = endpoints.find(key); endpoint != endpoints.end()) {
      --endpoint->second.running;
    }
    Pump(key);
    return;
  }
  for (auto& [key, endpoint] : endpoints) {
    auto& waiting = endpoint.waiting;
    auto job =
        std::find_if(waiting.begin(), waiting.end(), [id](const Job& j) { return j.id == id; });
    if (job == waiting.end()) continue;
    waiting.erase(job);
    --queued;
    const std::string name = key;
    Pump(name);  // erases the endpoint if it is idle now
    return;
  }
}

void HttpClient::Impl::Shutdown() {
  if (shut_down) return;
  shut_down = true;
  for (auto& [easy, job] : running) {
    multi->Remove(easy);
    Post(std::move(job.done), job.transfer->Fail("cancelled"));
  }
  running.clear();
  streams.clear();
  for (auto& [key, endpoint] : endpoints) {
    for (Job& job : endpoint.waiting) Post(std::move(job.done), job.transfer->Fail("cancelled"));
  }
  endpoints.clear();
  queued = 0;
  multi->Close();
}

HttpClient::HttpClient(asio::io_context& io, HttpOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(options))) {}

HttpClient::~HttpClient() { impl_->Shutdown(); }

void HttpClient::Send(HttpRequest request, std::function<void(HttpResponse)> done) {
  impl_->Send(std::move(request), std::move(done));
}

HttpClient::StreamId HttpClient::Stream(HttpRequest request, std::shared_ptr<HttpStreamSink> sink) {
  const StreamId id = impl_->next_stream++;
  impl_->Send(std::move(request), nullptr, std::move(sink), id);
  return id;
}

void HttpClient::Resume(StreamId id) {
  auto it = impl_->streams.find(id);
  if (it != impl_->streams.end()) curl_easy_pause(it->second, CURLPAUSE_CONT);
}

void HttpClient::Cancel(StreamId id) { impl_->Cancel(id); }

void HttpClient::Shutdown() { impl_->Shutdown(); }

size_t HttpClient::in_flight() const { return impl_->running.size(); }

size_t HttpClient::queued() const { return impl_->queued; }

}  // namespace keywarden
