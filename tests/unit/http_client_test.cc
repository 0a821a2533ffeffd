// HttpClient against real local servers: the fake provider (a subprocess),
// small canned responders on loopback threads and a self-signed TLS server.
#include "http/http_client.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "http/http_client_memory.h"
#include "support/fake_provider.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace keywarden {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;

// The port a server wrote to `file` (atomically), or 0 after 10 s.
int WaitForPort(const fs::path& file) {
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(20ms)) {
    std::ifstream in(file);
    int port = 0;
    if (in >> port && port > 0) return port;
  }
  return 0;
}

// Answers each connection on 127.0.0.1 with `reply` followed by `filler`
// bytes of 'x', then closes it. Records what arrived.
class CannedServer {
 public:
  explicit CannedServer(std::string reply, size_t filler = 0)
      : reply_(std::move(reply)), filler_(filler) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedServer() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }

  int port() const { return port_; }
  int connections() const { return connections_; }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    for (int c; (c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0; ::close(c)) {
      ++connections_;
      timeval five{5, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
      ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &five, sizeof five);
      std::string request = ReadRequest(c);
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      if (!SendAll(c, reply_)) continue;
      const std::string chunk(64 * 1024, 'x');
      for (size_t left = filler_; left > 0;) {
        size_t n = std::min(left, chunk.size());
        if (!SendAll(c, std::string_view(chunk).substr(0, n))) break;
        left -= n;
      }
    }
  }
  static std::string ReadRequest(int c) {
    std::string in;
    char buf[4096];
    size_t need = std::string::npos;
    while (in.size() < need) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, n);
      size_t end = need == std::string::npos ? in.find("\r\n\r\n") : std::string::npos;
      if (end != std::string::npos) {
        std::string head = in.substr(0, end);
        std::transform(head.begin(), head.end(), head.begin(), ::tolower);
        size_t cl = head.find("content-length:");
        need = end + 4 + (cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 15)));
      }
    }
    return in;
  }
  static bool SendAll(int c, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(c, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(n);
    }
    return true;
  }

  std::string reply_;
  size_t filler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

constexpr const char* kKey = "sk-proj-keywardenTestKey1234";
constexpr const char* kSlowKey = "sk-proj-keywardenSlowKey5678";

// A GET for `url`, sending `key` as a bearer token unless it is empty.
HttpRequest Get(std::string url, std::string_view key = "") {
  HttpRequest request;
  request.url = std::move(url);
  if (!key.empty()) {
    request.secret_header = SecretBuffer::Copy(fmt::format("Authorization: Bearer {}", key));
  }
  return request;
}

class HttpClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new testing::TempDir("kw-http");
    dir_ = new fs::path(temp_->path());
    try {
      fake_ = new testing::FakeProvider();
      port_ = fake_->port();
    } catch (const std::runtime_error& e) {
      ADD_FAILURE() << e.what();  // and port_ stays 0, which SetUp reports
    }
  }
  static void TearDownTestSuite() {
    delete fake_;
    delete dir_;
    delete temp_;
  }
  void SetUp() override {
    ASSERT_NE(port_, 0) << "fake provider did not start";
    ASSERT_EQ(Admin("POST", "/__admin/reset").status, 200);
    RegisterKey({{"key", kKey}, {"provider", "openai"}});
  }

  std::string Base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Runs the io_context until `done()` holds; false after 15 s.
  template <typename Pred>
  bool RunUntil(Pred done) {
    for (auto deadline = std::chrono::steady_clock::now() + 15s; !done();) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.restart();
      io_.run_one_for(50ms);
    }
    return true;
  }

  HttpResponse Fetch(HttpClient& client, HttpRequest request) {
    std::optional<HttpResponse> out;
    client.Send(std::move(request), [&](HttpResponse r) { out = std::move(r); });
    EXPECT_TRUE(RunUntil([&] { return out.has_value(); })) << "no callback";
    return out.value_or(HttpResponse{});
  }

  HttpResponse Admin(std::string method, std::string path, const json& body = nullptr) {
    HttpClient admin(io_, {});
    HttpRequest request = Get(Base() + path);
    request.method = std::move(method);
    if (!body.is_null()) request.body = body.dump();
    return Fetch(admin, std::move(request));
  }
  void RegisterKey(const json& key) {
    HttpResponse r = Admin("POST", "/__admin/keys", key);
    ASSERT_EQ(r.status, 200) << r.body << r.error;
  }
  json Log(const std::string& query = "") {
    return json::parse(Admin("GET", "/__admin/log" + query).body)["requests"];
  }

  asio::io_context io_;
  static testing::TempDir* temp_;
  static fs::path* dir_;
  static testing::FakeProvider* fake_;
  static int port_;
};

testing::TempDir* HttpClientTest::temp_ = nullptr;
fs::path* HttpClientTest::dir_ = nullptr;
testing::FakeProvider* HttpClientTest::fake_ = nullptr;
int HttpClientTest::port_ = 0;

TEST_F(HttpClientTest, GetReturnsStatusLowerCasedHeadersAndBody) {
  HttpClient client(io_, {});
  HttpResponse r = Fetch(client, Get(Base() + "/openai/v1/models", kKey));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_TRUE(r.headers.contains("x-request-id"));
  for (const auto& [name, value] : r.headers) {
    EXPECT_TRUE(std::none_of(name.begin(), name.end(), ::isupper)) << name;
  }
  EXPECT_EQ(json::parse(r.body)["object"], "list");
}

TEST_F(HttpClientTest, SecretHeaderArrivesAtServer) {
  HttpClient client(io_, {});
  EXPECT_EQ(Fetch(client, Get(Base() + "/openai/v1/models", kKey)).status, 200);
  EXPECT_EQ(Fetch(client, Get(Base() + "/openai/v1/models")).status, 401);
  json log = Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["auth"], "key:1234");
  EXPECT_EQ(log[1]["auth"], "missing");
}

// Issue 18 item 16: libcurl's copies of a request (the Authorization
// header among them) went back to malloc unwiped. Each block it frees now
// arrives at http_memory::Free, which zeroes it first.
std::atomic<int> wiped_blocks{0};
std::atomic<int> dirty_blocks{0};

void CountWiped(const void* block, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(block);
  bool zero = std::all_of(bytes, bytes + size, [](unsigned char b) { return b == 0; });
  ++(zero ? wiped_blocks : dirty_blocks);
}

TEST(HttpMemoryTest, FreedAndShrunkBlocksAreWiped) {
  http_memory::SetFreeObserverForTest(&CountWiped);
  wiped_blocks = dirty_blocks = 0;
  auto* block = static_cast<char*>(http_memory::Allocate(64));
  ASSERT_NE(block, nullptr);
  std::memset(block, 'k', 64);
  http_memory::Free(block);
  EXPECT_EQ(wiped_blocks.load(), 1);

  // Growing moves the bytes and wipes the old block; shrinking wipes the tail.
  block = static_cast<char*>(http_memory::Allocate(16));
  std::memset(block, 'k', 16);
  block = static_cast<char*>(http_memory::Reallocate(block, 4096));
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(std::string(block, 16), std::string(16, 'k'));
  EXPECT_EQ(wiped_blocks.load(), 2);
  std::memset(block, 'k', 4096);
  block = static_cast<char*>(http_memory::Reallocate(block, 8));
  EXPECT_EQ(std::string(block, 8), std::string(8, 'k'));
  EXPECT_TRUE(std::all_of(block + 8, block + 4096, [](char c) { return c == 0; }));
  http_memory::Free(block);
  EXPECT_EQ(wiped_blocks.load(), 3);

  char* copy = http_memory::Duplicate("Authorization: Bearer sk-secret");
  EXPECT_STREQ(copy, "Authorization: Bearer sk-secret");
  http_memory::Free(copy);
  auto* zeroed = static_cast<unsigned char*>(http_memory::AllocateZeroed(8, 8));
  EXPECT_TRUE(std::all_of(zeroed, zeroed + 64, [](unsigned char b) { return b == 0; }));
  http_memory::Free(zeroed);
  EXPECT_EQ(http_memory::AllocateZeroed(SIZE_MAX / 2, 4), nullptr);
  EXPECT_EQ(http_memory::Allocate(SIZE_MAX - 4), nullptr);
  EXPECT_EQ(dirty_blocks.load(), 0);
  http_memory::SetFreeObserverForTest(nullptr);
}

TEST_F(HttpClientTest, CurlFreesItsRequestBuffersThroughTheWipingAllocator) {
  HttpClient client(io_, {});
  http_memory::SetFreeObserverForTest(&CountWiped);
  wiped_blocks = dirty_blocks = 0;
  EXPECT_EQ(Fetch(client, Get(Base() + "/openai/v1/models", kKey)).status, 200);
  http_memory::SetFreeObserverForTest(nullptr);
  EXPECT_GT(wiped_blocks.load(), 0) << "libcurl does not allocate through http_memory";
  EXPECT_EQ(dirty_blocks.load(), 0);
}

TEST_F(HttpClientTest, PostSendsBodyAsJson) {
  HttpClient client(io_, {});
  json body = {{"model", "gpt-4o-mini"},
               {"messages", {{{"role", "user"}, {"content", "hi"}}}},
               {"max_tokens", 1}};
  HttpRequest request = Get(Base() + "/openai/v1/chat/completions", kKey);
  request.method = "POST";
  request.body = body.dump();
  HttpResponse r = Fetch(client, std::move(request));
  EXPECT_EQ(r.status, 200) << r.body << r.error;
  EXPECT_EQ(json::parse(r.body)["object"], "chat.completion");
  EXPECT_EQ(Log()[0]["body"], body);

  // The header the fake does not show: added once, and not over the caller's.
  CannedServer server("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  HttpRequest plain = Get(url);
  plain.method = "POST";
  plain.body = "{}";
  EXPECT_EQ(Fetch(client, std::move(plain)).status, 204);
  HttpRequest typed = Get(url);
  typed.method = "POST";
  typed.headers = {"content-type: application/json; charset=utf-8"};
  EXPECT_EQ(Fetch(client, std::move(typed)).status, 204);
  std::vector<std::string> seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[0].find("\r\nContent-Type: application/json\r\n"), std::string::npos) << seen[0];
  EXPECT_TRUE(seen[0].ends_with("\r\n\r\n{}"));
  EXPECT_NE(seen[1].find("\r\ncontent-type: application/json; charset=utf-8\r\n"),
            std::string::npos);
  EXPECT_EQ(seen[1].find("Content-Type"), std::string::npos) << seen[1];
}

TEST_F(HttpClientTest, LargeTransfersCompleteBothWays) {
  // Bodies spanning many socket reads and writes: curl may stop short of
  // draining or filling a socket, and no new readiness edge would wake it.
  HttpOptions options;
  options.max_body = 8 * 1024 * 1024;
  HttpClient client(io_, options);
  CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 8388608\r\n\r\n", 8 * 1024 * 1024);
  HttpRequest request = Get("http://127.0.0.1:" + std::to_string(server.port()) + "/");
  request.method = "POST";
  request.body = std::string(8 * 1024 * 1024, 'y');
  HttpResponse r = Fetch(client, std::move(request));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body.size(), 8u * 1024 * 1024);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(server.requests()[0].ends_with("\r\n\r\n" + std::string(8 * 1024 * 1024, 'y')));
}

TEST_F(HttpClientTest, NoMoreThanMaxPerEndpointRunAtOnce) {
  RegisterKey({{"key", kSlowKey}, {"provider", "openai"}, {"latency_ms", 200}});
  HttpOptions options;
  options.max_per_endpoint = 2;
  HttpClient client(io_, options);
  int done = 0;
  size_t most_in_flight = 0;
  for (int i = 0; i < 6; ++i) {
    client.Send(Get(Base() + "/openai/v1/models", kSlowKey), [&](HttpResponse r) {
      EXPECT_EQ(r.status, 200) << r.error;
      most_in_flight = std::max(most_in_flight, client.in_flight());
      ++done;
    });
  }
  EXPECT_EQ(client.in_flight(), 2u);
  EXPECT_EQ(client.queued(), 4u);
  // Another endpoint (same server, other host name) does not wait behind them.
  client.Send(Get("http://localhost:" + std::to_string(port_) + "/openai/v1/models"),
              [&](HttpResponse r) {
                EXPECT_EQ(r.status, 401) << r.error;
                ++done;
              });
  EXPECT_EQ(client.in_flight(), 3u);
  ASSERT_TRUE(RunUntil([&] { return done == 7; }));
  EXPECT_LE(most_in_flight, 3u);
  EXPECT_EQ(client.queued(), 0u);

  // Each reply takes 200 ms after arrival, so with two at a time the third
  // can only arrive once the first has been answered.
  std::vector<double> arrived;
  for (const json& entry : Log("?auth=key:5678")) arrived.push_back(entry["t"]);
  ASSERT_EQ(arrived.size(), 6u);
  std::sort(arrived.begin(), arrived.end());
  for (size_t i = 0; i + 2 < arrived.size(); ++i) {
    EXPECT_GE(arrived[i + 2] - arrived[i], 0.19) << "requests " << i << " and " << i + 2;
  }
}

TEST_F(HttpClientTest, SlowAnswerTimesOut) {
  RegisterKey({{"key", kSlowKey},
               {"provider", "openai"},
               {"script", {{{"status", 200}, {"delay_ms", 3000}}}}});
  HttpOptions options;
  options.timeout = 1s;
  HttpClient client(io_, options);
  HttpResponse r = Fetch(client, Get(Base() + "/openai/v1/models", kSlowKey));
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error, "");
  EXPECT_GE(r.elapsed, 900ms);
}

TEST_F(HttpClientTest, PlainHttpOnlyToLoopback) {
  HttpOptions options;
  options.timeout = 1s;
  options.connect_timeout = 1s;
  HttpClient client(io_, options);
  for (const char* url : {"http://192.0.2.1/", "http://example.com/", "http://[2001:db8::1]/",
                          "http://127.0.0.1.nip.io/", "ftp://127.0.0.1/", "not a url"}) {
    HttpResponse r = Fetch(client, Get(url, kKey));
    EXPECT_EQ(r.status, 0) << url;
    EXPECT_FALSE(r.timed_out) << url;
    EXPECT_EQ(r.elapsed, 0ms) << url << ": refused before any transfer started";
    EXPECT_NE(r.error, "") << url;
  }
  EXPECT_EQ(Fetch(client, Get("http://192.0.2.1/")).error,
            "plain http is only allowed to a loopback address");
  std::string port = std::to_string(port_);
  EXPECT_EQ(Fetch(client, Get("http://localhost:" + port + "/openai/v1/models")).status, 401);
  EXPECT_EQ(Fetch(client, Get("http://127.0.0.1:" + port + "/openai/v1/models")).status, 401);
}

TEST_F(HttpClientTest, RedirectIsNotFollowed) {
  CannedServer target("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  std::string location = "http://127.0.0.1:" + std::to_string(target.port()) + "/";
  CannedServer redirector("HTTP/1.1 302 Found\r\nLocation: " + location +
                          "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  HttpClient client(io_, {});
  HttpResponse r =
      Fetch(client, Get("http://127.0.0.1:" + std::to_string(redirector.port()) + "/", kKey));
  EXPECT_EQ(r.status, 302) << r.error;
  EXPECT_EQ(r.headers["location"], location);
  EXPECT_EQ(redirector.connections(), 1);
  EXPECT_EQ(target.connections(), 0);
}

TEST_F(HttpClientTest, BodyOverCapFailsTheRequest) {
  HttpClient client(io_, {});
  CannedServer huge("HTTP/1.1 200 OK\r\nContent-Length: 2097152\r\n\r\n", 2 * 1024 * 1024);
  HttpResponse r = Fetch(client, Get("http://127.0.0.1:" + std::to_string(huge.port()) + "/"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "response larger than 1 MiB");
  EXPECT_EQ(r.body, "");

  HttpOptions small;
  small.max_body = 1024;
  HttpClient capped(io_, small);
  CannedServer exact("HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n", 1024);
  CannedServer over("HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n", 1025);
  r = Fetch(capped, Get("http://127.0.0.1:" + std::to_string(exact.port()) + "/"));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, std::string(1024, 'x'));
  r = Fetch(capped, Get("http://127.0.0.1:" + std::to_string(over.port()) + "/"));
  EXPECT_EQ(r.error, "response larger than 1 KiB");
}

TEST_F(HttpClientTest, HttpsToPlainHttpPortFails) {
  HttpClient client(io_, {});
  HttpResponse r =
      Fetch(client, Get("https://127.0.0.1:" + std::to_string(port_) + "/openai/v1/models", kKey));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error, "");
  EXPECT_TRUE(Log().empty()) << "no HTTP request reached the server";
}

// A TLS server with a self-signed certificate for "localhost" only. Its
// answer is the number of HTTP requests it has served.
constexpr const char* kTlsServer = R"(
import http.server, os, ssl, sys
cert, key, port_file = sys.argv[1:4]
served = 0
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global served
        served += 1
        body = str(served).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(port_file + ".tmp", port_file)
server.serve_forever()
)";

TEST_F(HttpClientTest, UntrustedCertificateFailsBeforeAnyRequestAndCaFileAddsTrust) {
  fs::path cert = *dir_ / "cert.pem", key = *dir_ / "key.pem", port_file = *dir_ / "tls.port";
  std::string openssl =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost "
      "-keyout " +
      key.string() + " -out " + cert.string() + " 2>/dev/null";
  if (std::system(openssl.c_str()) != 0) GTEST_SKIP() << "openssl cannot make a certificate";
  testing::Background server(
      {"python3", "-c", kTlsServer, cert.string(), key.string(), port_file.string()}, {},
      *dir_ / "tls.log");
  int port = WaitForPort(port_file);
  ASSERT_NE(port, 0);
  std::string by_name = "https://localhost:" + std::to_string(port) + "/";
  std::string by_ip = "https://127.0.0.1:" + std::to_string(port) + "/";

  HttpClient system_cas(io_, {});
  HttpResponse r = Fetch(system_cas, Get(by_name, kKey));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("certificate"), std::string::npos) << r.error;

  HttpOptions options;
  options.ca_file = cert;
  HttpClient trusting(io_, options);
  r = Fetch(trusting, Get(by_ip));  // trusted CA, but not this host name
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error, "");
  r = Fetch(trusting, Get(by_name));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "1") << "the failed attempts sent no request";

  options.ca_file = *dir_ / "missing.pem";
  HttpClient broken(io_, options);
  EXPECT_NE(Fetch(broken, Get(by_name)).error.find("cannot read CA file"), std::string::npos);
}

TEST_F(HttpClientTest, ShutdownCancelsEveryRequestOnce) {
  RegisterKey({{"key", kSlowKey}, {"provider", "openai"}, {"latency_ms", 5000}});
  HttpOptions options;
  options.max_per_endpoint = 2;
  auto client = std::make_unique<HttpClient>(io_, options);
  std::vector<int> calls(3, 0);
  for (int i = 0; i < 3; ++i) {
    client->Send(Get(Base() + "/openai/v1/models", kSlowKey), [&calls, i](HttpResponse r) {
      EXPECT_EQ(r.error, "cancelled");
      EXPECT_EQ(r.status, 0);
      ++calls[i];
    });
  }
  // Both running requests have reached the server.
  ASSERT_TRUE(RunUntil([&] { return Log("?auth=key:5678").size() == 2; }));
  client->Shutdown();
  EXPECT_EQ(client->in_flight(), 0u);
  EXPECT_EQ(client->queued(), 0u);
  EXPECT_EQ(calls, std::vector<int>({0, 0, 0})) << "callbacks are posted, not run inside Shutdown";
  int late = 0;
  client->Send(Get(Base() + "/openai/v1/models"), [&](HttpResponse r) {
    EXPECT_NE(r.error, "");
    ++late;
  });
  client->Shutdown();
  client.reset();
  io_.restart();
  io_.run_for(10s);
  EXPECT_TRUE(io_.stopped()) << "a timer or socket wait outlived the client";
  EXPECT_EQ(calls, std::vector<int>({1, 1, 1}));
  EXPECT_EQ(late, 1);
}

TEST_F(HttpClientTest, DestroyingClientCancelsInFlightRequests) {
  RegisterKey({{"key", kSlowKey}, {"provider", "openai"}, {"latency_ms", 5000}});
  int cancelled = 0;
  {
    HttpClient client(io_, {});
    for (int i = 0; i < 2; ++i) {
      client.Send(Get(Base() + "/openai/v1/models", kSlowKey),
                  [&](HttpResponse r) { cancelled += r.error == "cancelled"; });
    }
    ASSERT_TRUE(RunUntil([&] { return Log("?auth=key:5678").size() == 2; }));
  }
  io_.restart();
  io_.run_for(10s);
  EXPECT_TRUE(io_.stopped()) << "a timer or socket wait outlived the client";
  EXPECT_EQ(cancelled, 2);
}

}  // namespace
}  // namespace keywarden
