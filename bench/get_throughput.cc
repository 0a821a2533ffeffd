// The daemon's `slot.get` throughput (what `keywarden get` sends): 1, 8 and
// 64 clients, each on its own connection, each sending its next request as
// soon as the last reply arrived, for a fixed time. Next to it, in the same
// run and with the same message sizes, the floor: a single-threaded echo
// server on a Unix socket that answers each request line with a line as long
// as the daemon's reply. Cells run interleaved (echo 1, daemon 1, echo 8, …)
// and the whole sequence is repeated, so background load hits both alike.
//
//   get_throughput [--seconds S] [--rounds R] [--clients 1,8,64] [--slots N]
//
// With --slots N each client asks for N slots in turn (all with the same
// key), each from its own starting point. Above the daemon's 1,024 kept
// reads (Store::ServeBatch) nearly every get then reads its slot from the
// database: the cost of a slot not served since the last write.
//
// Every daemon reply must carry the secret; at the end the number of `get`
// events in the database must equal the number of replies (sqlite3 CLI, if
// installed). Needs python3 (the fake provider verifies the slot).
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"
#include "stats.h"

namespace kw = keywarden;
namespace kb = keywarden::bench;

namespace {

using Clock = std::chrono::steady_clock;

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] void Die(const std::string& why) { throw Failure(why); }

// A connected Unix stream socket, closed on destruction.
class Socket {
 public:
  explicit Socket(const std::filesystem::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      if (fd_ >= 0) ::close(fd_);
      Die("cannot connect to " + path.string());
    }
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Writes `line`, then reads up to and including the next '\n' into *reply.
  // Waits for each read in poll(2), as keywarden's Client does: a reader
  // blocked in read(2) itself is also woken when the daemon takes its
  // request (the write-space wake-up of a Unix socket), which costs the
  // daemon an extra wake-up per request that the CLI never causes.
  bool RoundTrip(const std::string& line, std::string* reply) {
    for (size_t done = 0; done < line.size();) {
      ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    reply->clear();
    char buf[4096];
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, -1) != 1) return false;
      ssize_t n = ::read(fd_, buf, sizeof(buf));
      if (n <= 0) return false;
      reply->append(buf, static_cast<size_t>(n));
      if (buf[n - 1] == '\n') return true;  // one request in flight: no next line
    }
  }

 private:
  int fd_ = -1;
};

// The floor: one thread, poll(2) over every connection, each request line
// answered with `reply`. Stops (and joins) on destruction.
class EchoServer {
 public:
  EchoServer(std::filesystem::path path, std::string reply)
      : path_(std::move(path)), reply_(std::move(reply)) {
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) ||
        ::listen(listen_fd_, 256)) {
      Die("echo server: cannot listen on " + path_.string());
    }
    thread_ = std::thread([this] { Loop(); });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
    for (pollfd& p : fds_) ::close(p.fd);
    ::unlink(path_.c_str());
  }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  void Loop() {
    fds_.push_back({listen_fd_, POLLIN, 0});
    std::vector<std::string> pending(1);
    char buf[65536];
    while (!stop_) {
      if (::poll(fds_.data(), fds_.size(), 50) <= 0) continue;
      for (size_t i = 0; i < fds_.size(); ++i) {
        if (!(fds_[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (i == 0) {
          int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (fd >= 0) {
            fds_.push_back({fd, POLLIN, 0});
            pending.emplace_back();
          }
          continue;
        }
        ssize_t n = ::read(fds_[i].fd, buf, sizeof(buf));
        if (n <= 0) {
          ::close(fds_[i].fd);
          fds_[i].fd = -1;  // poll ignores negative fds
          continue;
        }
        pending[i].append(buf, static_cast<size_t>(n));
        for (size_t eol; (eol = pending[i].find('\n')) != std::string::npos;) {
          pending[i].erase(0, eol + 1);
          if (::write(fds_[i].fd, reply_.data(), reply_.size()) !=
              static_cast<ssize_t>(reply_.size())) {
            break;  // the client went away; its read fails next
          }
        }
      }
    }
  }

  std::filesystem::path path_;
  std::string reply_;
  int listen_fd_ = -1;
  std::vector<pollfd> fds_;  // [0] is the listening socket
  std::atomic<bool> stop_ = false;
  std::thread thread_;
};

struct LoadResult {
  double seconds = 0;
  size_t requests = 0;
  std::vector<double> latency_ms;
  double daemon_cpu_s = -1;
};

// `clients` threads, each with its own connection, each a closed loop of
// request and reply for `seconds`. Every reply must contain `expect`.
LoadResult RunLoad(const std::filesystem::path& socket, int clients, double seconds,
                   const std::vector<std::string>& requests, const std::string& expect) {
  std::vector<std::vector<double>> lat(static_cast<size_t>(clients));
  std::atomic<int> ready = 0, failed = 0;
  std::atomic<bool> go = false;
  Clock::time_point end;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Socket s(socket);
      std::string reply;
      size_t next = static_cast<size_t>(c) * requests.size() / static_cast<size_t>(clients);
      std::vector<double>& mine = lat[static_cast<size_t>(c)];
      mine.reserve(200000);
      ++ready;
      while (!go) std::this_thread::yield();
      for (;;) {
        auto t0 = Clock::now();
        if (t0 >= end) break;
        const std::string& request = requests[next];
        next = (next + 1) % requests.size();
        if (!s.RoundTrip(request, &reply) || reply.find(expect) == std::string::npos) {
          ++failed;
          break;
        }
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  while (ready < clients) std::this_thread::yield();
  auto start = Clock::now();
  end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  go = true;
  for (std::thread& t : threads) t.join();
  LoadResult r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& l : lat) r.latency_ms.insert(r.latency_ms.end(), l.begin(), l.end());
  r.requests = r.latency_ms.size();
  if (failed) Die(fmt::format("{} of {} clients got a wrong or no reply", failed.load(), clients));
  return r;
}

std::vector<int> ParseClients(const std::string& text) {
  std::vector<int> out;
  for (size_t at = 0; at <= text.size();) {
    size_t comma = std::min(text.find(',', at), text.size());
    int n = std::atoi(text.substr(at, comma - at).c_str());
    if (n < 1 || n > 512) Die("--clients: a comma-separated list of 1..512");
    out.push_back(n);
    at = comma + 1;
  }
  return out;
}

struct Cell {
  std::vector<double> rps, p50, p99, cpu_us;
};

}  // namespace

int Main(int argc, char** argv) {
  double seconds = 3;
  int rounds = 3;
  std::vector<int> client_counts = {1, 8, 64};
  int slots = 1;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (i + 1 >= argc)
      Die("usage: get_throughput [--seconds S] [--rounds R] [--clients 1,8,64] [--slots N]");
    std::string value = argv[i + 1];
    if (flag == "--seconds") {
      seconds = std::atof(value.c_str());
    } else if (flag == "--rounds") {
      rounds = std::atoi(value.c_str());
    } else if (flag == "--clients") {
      client_counts = ParseClients(value);
    } else if (flag == "--slots") {
      slots = std::atoi(value.c_str());
    } else {
      Die("usage: get_throughput [--seconds S] [--rounds R] [--clients 1,8,64] [--slots N]");
    }
  }
  if (seconds <= 0 || seconds > 600 || rounds < 1 || rounds > 100) Die("bad --seconds or --rounds");
  if (slots < 1 || slots > 100000) Die("--slots: 1..100000");

  kb::OneSlotBench bench("kwbench-tput", slots);
  const std::string& secret = bench.secret();
  kb::Daemon& daemon = bench.daemon();

  // The request `keywarden get bench/deepseek` sends, and a reply as long as
  // the daemon's for the echo server.
  const std::string request = kw::EncodeRequest(1, "slot.get", {{"ref", kb::OneSlotBench::kRef}});
  std::vector<std::string> requests;
  for (const std::string& ref : bench.refs()) {
    requests.push_back(kw::EncodeRequest(1, "slot.get", {{"ref", ref}}));
  }
  std::string daemon_reply;
  {
    Socket probe(daemon.socket());
    if (!probe.RoundTrip(request, &daemon_reply) ||
        daemon_reply.find(secret) == std::string::npos) {
      Die("slot.get did not return the secret: " + daemon_reply.substr(0, 200));
    }
  }
  EchoServer echo(bench.dir() / "echo.sock", std::string(daemon_reply.size() - 1, 'x') + "\n");
  size_t answered = 1;  // the probe above

  std::printf("machine: %s\n%s\n", kb::MachineSummary().c_str(), kb::LoadSummary().c_str());
  std::printf(
      "request %zu bytes, reply %zu bytes; %d slots; %d rounds of %.1f s per cell, "
      "interleaved\n\n",
      request.size(), daemon_reply.size(), slots, rounds, seconds);
  std::printf("%5s %8s %7s %10s %8s %8s %12s %10s\n", "round", "clients", "server", "req/s",
              "p50 ms", "p99 ms", "CPU us/req", "/ echo");
  std::map<std::pair<int, std::string>, Cell> cells;
  for (int round = 1; round <= rounds; ++round) {
    for (int clients : client_counts) {
      double echo_rps = 0;
      for (const char* server : {"echo", "daemon"}) {
        const bool is_daemon = std::string(server) == "daemon";
        double cpu0 = is_daemon ? kb::CpuSeconds(daemon.pid()) : 0;
        LoadResult r = RunLoad(is_daemon ? daemon.socket() : echo.path(), clients, seconds,
                               is_daemon ? requests : std::vector<std::string>{request},
                               is_daemon ? secret : "x\n");
        double cpu_us = is_daemon ? (kb::CpuSeconds(daemon.pid()) - cpu0) * 1e6 / r.requests : 0;
        if (is_daemon) answered += r.requests;
        double rps = r.requests / r.seconds;
        Cell& cell = cells[{clients, server}];
        cell.rps.push_back(rps);
        cell.p50.push_back(kb::Median(r.latency_ms));
        cell.p99.push_back(kb::Quantile(r.latency_ms, 0.99));
        cell.cpu_us.push_back(cpu_us);
        if (!is_daemon) echo_rps = rps;
        std::printf("%5d %8d %7s %10.0f %8.3f %8.3f %12s %10s\n", round, clients, server, rps,
                    cell.p50.back(), cell.p99.back(),
                    is_daemon ? fmt::format("{:.1f}", cpu_us).c_str() : "",
                    is_daemon ? fmt::format("{:.2f}", rps / echo_rps).c_str() : "");
        std::fflush(stdout);
      }
    }
  }

  std::printf("\n%s\nmedian over %d rounds (min-max):\n", kb::LoadSummary().c_str(), rounds);
  std::printf("%8s %7s %22s %8s %8s %11s\n", "clients", "server", "req/s", "p50 ms", "p99 ms",
              "CPU us/req");
  for (int clients : client_counts) {
    for (const char* server : {"echo", "daemon"}) {
      const Cell& c = cells[{clients, server}];
      std::printf(
          "%8d %7s %8.0f (%5.0f-%5.0f) %8.3f %8.3f %11s\n", clients, server, kb::Median(c.rps),
          kb::Min(c.rps), kb::Max(c.rps), kb::Median(c.p50), kb::Median(c.p99),
          std::string(server) == "daemon" ? fmt::format("{:.1f}", kb::Median(c.cpu_us)).c_str()
                                          : "");
    }
  }

  daemon.Stop();
  kb::RunResult count = kb::Run({"sqlite3", (bench.home() / "keywarden.db").string(),
                                 "SELECT COUNT(*) FROM events WHERE action = 'get'"});
  if (count.exit_code == 0) {
    long events = std::atol(count.out.c_str());
    std::printf("\nget events in the database: %ld, replies with the secret: %zu%s\n", events,
                answered, events == static_cast<long>(answered) ? "" : "  MISMATCH");
    if (events != static_cast<long>(answered)) return 1;
  } else {
    std::printf("\nsqlite3 not installed: get events not counted\n");
  }
  return 0;
}

int main(int argc, char** argv) { return kb::RunMain("get_throughput", Main, argc, argv); }
