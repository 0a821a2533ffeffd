// gateway_bench: the gateway against a plain reverse proxy, side by side in
// one run against the same upstream (bench/gateway/upstream.cc):
//
//   direct   client -> upstream
//   nginx    client -> nginx (Debian's, one process, upstream keepalive) -> upstream
//   gateway  client -> keywardend's gateway (token in, key out) -> upstream
//
// Per round, for each cell, each leg in turn: a closed loop of --concurrency
// keep-alive connections, or an open loop of the largest count at each
// --rate, for --seconds (p50, p99, requests/s, the proxy's CPU time per
// request; the added latency of a proxy is its figure minus direct's in the
// same round and cell), then --streams SSE
// streams held open at once (the upstream holds every stream after its first
// event until released; a stream counts as open once that event is in), with
// the proxy's VmRSS and VmHWM read while all are open. The gateway leg
// needs a daemon with a gateway: without one (the daemon refuses the
// "gateway" config, or status' gateway_url is null) it is skipped with a
// message and the other legs still run.
//
//   gateway_bench [--seconds 5] [--rounds 3] [--concurrency 1,64] [--rate 2000]
//                 [--streams 1000]
//                 [--route /p/deepseek/default/chat/completions] [--nginx PATH|none]
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "beast.h"
#include "keywarden/client.h"
#include "measure.h"
#include "stats.h"

namespace keywarden::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr const char* kChatBody =
    R"({"model":"deepseek-chat","messages":[{"role":"user","content":"ping"}],"max_tokens":1})";
constexpr const char* kStreamBody =
    R"({"model":"deepseek-chat","messages":[{"role":"user","content":"ping"}],"max_tokens":8,"stream":true})";

struct Options {
  double seconds = 5;
  int rounds = 3;
  std::vector<int> concurrency{1, 64};
  std::vector<double> rates{2000};  // open-loop cells, at the largest concurrency
  int streams = 1000;
  std::string route = "/p/deepseek/default/chat/completions";
  std::string nginx = "nginx";
};

// Where one leg sends its requests.
struct Target {
  std::string name;
  int port = 0;
  std::string path;
  std::string authorization;  // the whole header value
  pid_t pid = -1;             // the proxy, for its RSS (-1: none)
};

struct LoadResult {
  std::vector<double> latencies_ms;
  long errors = 0;
  double wall_s = 0;
  double Rps() const { return wall_s > 0 ? static_cast<double>(latencies_ms.size()) / wall_s : 0; }
};

struct StreamResult {
  int opened = 0;     // headers and first event in while the upstream held every stream
  int completed = 0;  // ended with data: [DONE]
  long errors = 0;
  long rss_kib = -1, hwm_kib = -1, rss_before_kib = -1;
  double open_s = 0;  // first connect to the last stream's headers
};

http::request<http::string_body> MakeRequest(const Target& target, const char* body) {
  http::request<http::string_body> request{http::verb::post, target.path, 11};
  request.set(http::field::host, "127.0.0.1:" + std::to_string(target.port));
  request.set(http::field::content_type, "application/json");
  if (!target.authorization.empty()) request.set(http::field::authorization, target.authorization);
  request.body() = body;
  request.prepare_payload();
  return request;
}

asio::awaitable<tcp::socket> Connect(int port) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port),
                                asio::use_awaitable);
  socket.set_option(tcp::no_delay(true));
  co_return socket;
}

// One client on one kept-alive connection. Closed loop (interval zero): its
// next request as soon as its reply is in. Open loop: a request every
// `interval` from `first`, each timed from when it was due, so a late send
// counts against the latency (no coordinated omission).
asio::awaitable<void> LoadWorker(Target target, SteadyClock::time_point first,
                                 SteadyClock::duration interval, SteadyClock::time_point end,
                                 LoadResult& result) {
  const auto request = MakeRequest(target, kChatBody);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto due = first;
  while (SteadyClock::now() < end) {
    try {
      tcp::socket socket = co_await Connect(target.port);
      beast::flat_buffer buffer;
      while (SteadyClock::now() < end) {
        auto start = SteadyClock::now();
        if (interval.count() > 0) {
          if (due > start) {
            timer.expires_at(due);
            co_await timer.async_wait(asio::use_awaitable);
          }
          start = due;
          due += interval;
          if (start >= end) break;
        }
        co_await http::async_write(socket, request, asio::use_awaitable);
        http::response<http::string_body> response;
        co_await http::async_read(socket, buffer, response, asio::use_awaitable);
        const double ms =
            std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
        if (response.result_int() == 200 && response.body().find("\"ok\"") != std::string::npos) {
          result.latencies_ms.push_back(ms);
        } else {
          ++result.errors;
        }
        if (!response.keep_alive()) break;
      }
    } catch (const std::exception&) {
      ++result.errors;
    }
  }
}

// One cell of the latency table: `clients` connections, closed loop when
// `rate` is zero, else `rate` requests a second in all, spread evenly.
struct Cell {
  int clients = 1;
  double rate = 0;
  std::string Name() const {
    return rate > 0 ? fmt::format("{}@{:.0f}/s", clients, rate) : std::to_string(clients);
  }
};

LoadResult RunLoad(const Target& target, const Cell& cell, double seconds) {
  asio::io_context io(1);
  LoadResult result;
  const auto start = SteadyClock::now();
  const auto end = start + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(seconds));
  const auto interval = cell.rate > 0 ? std::chrono::duration_cast<SteadyClock::duration>(
                                            std::chrono::duration<double>(cell.clients / cell.rate))
                                      : SteadyClock::duration::zero();
  for (int i = 0; i < cell.clients; ++i) {
    const auto first = start + std::chrono::milliseconds(50) + interval * i / cell.clients;
    asio::co_spawn(io, LoadWorker(target, first, interval, end, result), asio::detached);
  }
  io.run();
  result.wall_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return result;
}

asio::awaitable<void> OneStream(Target target, StreamResult& result) {
  try {
    tcp::socket socket = co_await Connect(target.port);
    beast::flat_buffer buffer;
    co_await http::async_write(socket, MakeRequest(target, kStreamBody), asio::use_awaitable);
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    co_await http::async_read_header(socket, buffer, parser, asio::use_awaitable);
    if (parser.get().result_int() != 200) throw std::runtime_error("status");
    // The first event must arrive while the upstream holds the rest: a proxy
    // that buffered the answer would never count as open.
    while (parser.get().body().find("\n\n") == std::string::npos && !parser.is_done())
      co_await http::async_read_some(socket, buffer, parser, asio::use_awaitable);
    ++result.opened;
    co_await http::async_read(socket, buffer, parser, asio::use_awaitable);
    const std::string& body = parser.get().body();
    if (body.size() >= 14 && body.compare(body.size() - 14, 14, "data: [DONE]\n\n") == 0) {
      ++result.completed;
    } else {
      ++result.errors;
    }
  } catch (const std::exception&) {
    ++result.errors;
  }
}

asio::awaitable<void> Release(int upstream_port) {
  tcp::socket socket = co_await Connect(upstream_port);
  http::request<http::string_body> request{http::verb::post, "/__release", 11};
  request.set(http::field::host, "127.0.0.1");
  request.keep_alive(false);
  request.prepare_payload();
  co_await http::async_write(socket, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(socket, buffer, response, asio::use_awaitable);
}

asio::awaitable<void> StreamDriver(Target target, int streams, int upstream_port,
                                   StreamResult& result) {
  auto executor = co_await asio::this_coro::executor;
  if (target.pid > 0) result.rss_before_kib = testing::ProcStatusKib(target.pid, "VmRSS");
  const auto start = SteadyClock::now();
  for (int i = 0; i < streams; ++i)
    asio::co_spawn(executor, OneStream(target, result), asio::detached);
  asio::steady_timer timer(executor);
  const auto deadline = start + std::chrono::seconds(60);
  while (result.opened + result.errors < streams && SteadyClock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::use_awaitable);
  }
  result.open_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  if (target.pid > 0) {
    result.rss_kib = testing::ProcStatusKib(target.pid, "VmRSS");
    result.hwm_kib = testing::ProcStatusKib(target.pid, "VmHWM");
  }
  co_await Release(upstream_port);
}

StreamResult RunStreams(const Target& target, int streams, int upstream_port) {
  asio::io_context io(1);
  StreamResult result;
  asio::co_spawn(io, StreamDriver(target, streams, upstream_port, result), asio::detached);
  io.run();
  return result;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd);
    throw std::runtime_error("no free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool WaitForPort(int port, std::chrono::seconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int ReadPortFile(const fs::path& file, std::chrono::seconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    std::ifstream in(file);
    int port = 0;
    if (in >> port && port > 0) return port;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

// nginx as a plain reverse proxy: one process in the foreground (no master,
// so no user switch and one event loop, like the daemon's), upstream
// keepalive, no buffering of streamed answers, no access log.
std::unique_ptr<Background> StartNginx(const std::string& nginx, const fs::path& dir,
                                       int upstream_port, int port) {
  fs::create_directories(dir / "logs");
  const fs::path conf = dir / "nginx.conf";
  std::ofstream(conf) << fmt::format(
      R"(daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 16384;
pid {dir}/nginx.pid;
error_log {dir}/logs/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  client_max_body_size 32m;
  upstream up {{ server 127.0.0.1:{up}; keepalive 256; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }}
  }}
}}
)",
      fmt::arg("dir", dir.string()), fmt::arg("up", upstream_port), fmt::arg("port", port));
  auto process = std::make_unique<Background>(
      std::vector<std::string>{nginx, "-p", dir.string(), "-c", conf.string()},
      std::vector<std::string>{}, dir / "logs" / "stderr.log");
  if (!WaitForPort(port, std::chrono::seconds(10))) {
    throw std::runtime_error("nginx did not listen: " + ReadFile(dir / "logs" / "error.log") +
                             ReadFile(dir / "logs" / "stderr.log"));
  }
  return process;
}

// A daemon whose deepseek endpoint is the upstream, one verified slot
// dev/bench, and (if the build has one) the gateway with a token for dev.
struct GatewayLeg {
  std::unique_ptr<Daemon> daemon;
  std::optional<Target> target;
  std::string skipped;  // why the leg does not run
};

GatewayLeg StartGateway(const fs::path& home, int upstream_port, const std::string& key,
                        const std::string& route) {
  GatewayLeg leg;
  fs::create_directories(home);
  const int port = FreePort();
  const Json providers = {
      {"deepseek",
       {{"endpoints", {{"default", fmt::format("http://127.0.0.1:{}", upstream_port)}}}}}};
  Json config = {
      {"providers", providers},
      {"validation", {{"revalidate_every", "30d"}}},
      // One token carries every stream: its cap must not be what is measured.
      {"gateway", {{"listen", fmt::format("127.0.0.1:{}", port)}, {"max_per_token", 4096}}}};
  WriteConfig(home, config);
  leg.daemon = std::make_unique<Daemon>(home);
  std::string why;
  if (!leg.daemon->Start({}, &why)) {
    leg.skipped = "the daemon refused the gateway config (no gateway in this build)";
    config.erase("gateway");
    WriteConfig(home, config);
    leg.daemon = std::make_unique<Daemon>(home);
    if (!leg.daemon->Start({}, &why)) throw std::runtime_error("keywardend did not start: " + why);
  }
  Result<Client> client = leg.daemon->Connect();
  if (!client) throw std::runtime_error("connect: " + client.error().message);
  Result<Json> added = client->Call("slot.add", {{"ref", "dev/bench"},
                                                 {"provider", "deepseek"},
                                                 {"models", {"deepseek-chat"}},
                                                 {"secret", key}});
  if (!added) throw std::runtime_error("slot.add: " + added.error().message);
  const auto deadline = SteadyClock::now() + std::chrono::seconds(20);
  for (;;) {
    Result<Json> shown = client->Call("slot.show", {{"ref", "dev/bench"}});
    if (shown && (*shown)["slot"].value("usable", false)) break;
    if (SteadyClock::now() > deadline) throw std::runtime_error("dev/bench was not verified");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!leg.skipped.empty()) return leg;
  Result<Json> status = client->Call("status", Json::object());
  if (!status) throw std::runtime_error("status: " + status.error().message);
  const Json url = status->value("gateway_url", Json());
  if (!url.is_string()) {
    leg.skipped = "the daemon runs no gateway (status: gateway_url is null)";
    return leg;
  }
  const RunResult token = leg.daemon->Cli({"token", "add", "bench", "--env", "dev"});
  std::smatch m;
  if (token.exit_code != 0 || !std::regex_search(token.out, m, std::regex("kwt_[A-Za-z0-9_-]+"))) {
    leg.skipped = "keywarden token add failed: " + token.err;
    return leg;
  }
  std::smatch port_match;
  const std::string text = url.get<std::string>();
  int gateway_port = port;
  if (std::regex_search(text, port_match, std::regex(":([0-9]+)"))) {
    gateway_port = std::stoi(port_match[1]);
  }
  leg.target = Target{"gateway", gateway_port, route, "Bearer " + m[0].str(), leg.daemon->pid()};
  return leg;
}

std::string Mib(long kib) { return kib < 0 ? "-" : fmt::format("{:.1f}", kib / 1024.0); }

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--seconds") {
      o.seconds = std::stod(next());
    } else if (arg == "--rounds") {
      o.rounds = std::stoi(next());
    } else if (arg == "--concurrency") {
      o.concurrency.clear();
      std::stringstream list(next());
      for (std::string item; std::getline(list, item, ',');)
        o.concurrency.push_back(std::stoi(item));
      if (o.concurrency.empty()) throw std::runtime_error("--concurrency needs a list");
    } else if (arg == "--rate") {
      o.rates.clear();
      std::stringstream list(next());
      for (std::string item; std::getline(list, item, ',');) {
        if (std::stod(item) > 0) o.rates.push_back(std::stod(item));
      }
    } else if (arg == "--streams") {
      o.streams = std::stoi(next());
    } else if (arg == "--route") {
      o.route = next();
    } else if (arg == "--nginx") {
      o.nginx = next();
    } else {
      throw std::runtime_error(
          "unknown argument " + arg +
          " (--seconds, --rounds, --concurrency, --rate, --streams, --route, --nginx)");
    }
  }
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  std::printf("%s\n", MachineSummary().c_str());
  std::printf("before: %s\n", LoadSummary().c_str());

  TempDir dir("kwgw");
  const std::string key = testing::FakeKey("deepseek");
  const fs::path self = fs::read_symlink("/proc/self/exe");
  const fs::path port_file = dir.path() / "upstream.port";
  Background upstream({(self.parent_path() / "gateway_upstream").string(), "--port-file",
                       port_file.string(), "--key", key, "--hold"},
                      {}, dir.path() / "upstream.log");
  const int upstream_port = ReadPortFile(port_file, std::chrono::seconds(10));
  if (upstream_port == 0) {
    throw std::runtime_error("gateway_upstream did not start: " +
                             ReadFile(dir.path() / "upstream.log"));
  }

  std::vector<Target> targets{{"direct", upstream_port, "/chat/completions", "Bearer " + key, -1}};
  std::unique_ptr<Background> nginx;
  if (o.nginx != "none") {
    const int port = FreePort();
    nginx = StartNginx(o.nginx, dir.path() / "nginx", upstream_port, port);
    targets.push_back({"nginx", port, "/chat/completions", "Bearer " + key, nginx->pid()});
  }
  GatewayLeg gateway = StartGateway(dir.path() / "home", upstream_port, key, o.route);
  if (gateway.target) {
    targets.push_back(*gateway.target);
  } else {
    std::printf("gateway: skipped: %s\n", gateway.skipped.c_str());
  }

  std::vector<Cell> cells;
  for (int c : o.concurrency) cells.push_back({c, 0});
  const int most = *std::max_element(o.concurrency.begin(), o.concurrency.end());
  for (double r : o.rates) cells.push_back({most, r});
  for (const Target& t : targets) RunLoad(t, Cell{most, 0}, 1.0);  // warm-up, not counted

  // Keyed by leg and concurrency ("nginx@64").
  std::map<std::string, std::vector<double>> p50, p99, rps, cpu, added50, added99;
  std::map<std::string, std::vector<StreamResult>> streams;
  auto cell_key = [](const Target& t, const Cell& c) { return t.name + " " + c.Name(); };
  std::printf("\n%-8s %5s %10s %9s %9s %10s %7s %9s %9s %11s\n", "leg", "round", "clients",
              "p50_ms", "p99_ms", "req/s", "errors", "+p50_ms", "+p99_ms", "cpu_us/req");
  for (int round = 1; round <= o.rounds; ++round) {
    for (const Cell& c : cells) {
      double direct50 = 0, direct99 = 0;
      for (const Target& t : targets) {
        const double cpu_before = t.pid > 0 ? CpuSeconds(t.pid) : 0;
        const LoadResult r = RunLoad(t, c, o.seconds);
        const double cpu_us = t.pid > 0 && !r.latencies_ms.empty()
                                  ? (CpuSeconds(t.pid) - cpu_before) * 1e6 /
                                        static_cast<double>(r.latencies_ms.size())
                                  : 0;
        const double q50 = Quantile(r.latencies_ms, 0.5), q99 = Quantile(r.latencies_ms, 0.99);
        if (t.name == "direct") direct50 = q50, direct99 = q99;
        const std::string k = cell_key(t, c);
        p50[k].push_back(q50);
        p99[k].push_back(q99);
        rps[k].push_back(r.Rps());
        cpu[k].push_back(cpu_us);
        std::string extra50 = "-", extra99 = "-", cpu_text = "-";
        if (t.name != "direct") {
          added50[k].push_back(q50 - direct50);
          added99[k].push_back(q99 - direct99);
          extra50 = fmt::format("{:.3f}", q50 - direct50);
          extra99 = fmt::format("{:.3f}", q99 - direct99);
          cpu_text = fmt::format("{:.1f}", cpu_us);
        }
        std::printf("%-8s %5d %10s %9.3f %9.3f %10.0f %7ld %9s %9s %11s\n", t.name.c_str(), round,
                    c.Name().c_str(), q50, q99, r.Rps(), r.errors, extra50.c_str(), extra99.c_str(),
                    cpu_text.c_str());
        std::fflush(stdout);
      }
    }
    for (const Target& t : targets) {
      const StreamResult s = RunStreams(t, o.streams, upstream_port);
      streams[t.name].push_back(s);
      std::printf(
          "%-8s %5d streams: %d open at once (%.2f s to open), %d completed, %ld errors, "
          "RSS %s MiB before, %s MiB with all open, VmHWM %s MiB\n",
          t.name.c_str(), round, s.opened, s.open_s, s.completed, s.errors,
          Mib(s.rss_before_kib).c_str(), Mib(s.rss_kib).c_str(), Mib(s.hwm_kib).c_str());
      std::fflush(stdout);
    }
  }

  std::printf("\nmedians over %d rounds (min-max), %d streams:\n", o.rounds, o.streams);
  std::printf("%-8s %10s %9s %9s %10s %23s %23s %11s %12s\n", "leg", "clients", "p50_ms", "p99_ms",
              "req/s", "added p50_ms", "added p99_ms", "cpu_us/req", "stream RSS");
  auto range = [](const std::vector<double>& v) {
    return fmt::format("{:.3f} ({:.3f}..{:.3f})", Median(v), Min(v), Max(v));
  };
  for (const Cell& c : cells) {
    for (const Target& t : targets) {
      const std::string k = cell_key(t, c);
      std::string a50 = "-", a99 = "-", rss = "-", cpu_text = "-";
      if (t.name != "direct") {
        a50 = range(added50[k]);
        a99 = range(added99[k]);
        cpu_text = fmt::format("{:.1f}", Median(cpu[k]));
        std::vector<double> open_rss;
        for (const StreamResult& s : streams[t.name])
          open_rss.push_back(static_cast<double>(s.rss_kib));
        rss = fmt::format("{:.1f} MiB", Median(open_rss) / 1024.0);
      }
      std::printf("%-8s %10s %9.3f %9.3f %10.0f %23s %23s %11s %12s\n", t.name.c_str(),
                  c.Name().c_str(), Median(p50[k]), Median(p99[k]), Median(rps[k]), a50.c_str(),
                  a99.c_str(), cpu_text.c_str(), rss.c_str());
    }
  }
  if (gateway.target && nginx) {
    for (const Cell& c : cells) {
      const std::string g = "gateway " + c.Name(), n = "nginx " + c.Name();
      std::printf("gateway added latency / nginx's at %s: p50 %.2f x, p99 %.2f x\n",
                  c.Name().c_str(), Median(added50[g]) / Median(added50[n]),
                  Median(added99[g]) / Median(added99[n]));
    }
  } else {
    std::printf("gateway: pending: %s\n", gateway.skipped.c_str());
  }
  std::printf("after: %s\n", LoadSummary().c_str());
  return 0;
}

}  // namespace
}  // namespace keywarden::bench

int main(int argc, char** argv) {
  return keywarden::bench::RunMain("gateway_bench", keywarden::bench::Main, argc, argv);
}
