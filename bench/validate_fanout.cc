// Validation fan-out: how close `validate --all` comes to the floor set by
// the provider's latency and the per-endpoint concurrency cap.
//
// Each run: the fake provider with --latency-ms L and N DeepSeek keys; a
// fresh keywardend pointing at it with validation.concurrency_per_endpoint
// C; N slots x 2 models added over the protocol; once their own first
// checks are done, one `slot.validate {"all": true, "wait": true}` is timed.
// Every slot costs 1 auth probe + 2 model probes, all to one host:port, so
// floor = 3N x L / C. The fake's request log tells where the time went.
//
//   validate_fanout [--slots N] [--latency-ms L] [--concurrency C] [--runs R]
//                   [--attach 'CMD']   run CMD (split on spaces, {pid} = the daemon's pid)
//                                      during each timed call, stopped with SIGINT; e.g.
//                                      'perf record -g -p {pid} -o perf.data' or
//                                      'strace -f -c -p {pid} -o strace.txt'
//                   [--fake-script PATH]  another fake_provider.py (for experiments)
//                   [--dump-log FILE]  the fake's log of each timed call, one JSON line per
//                                      request, t in seconds since the call
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"
#include "stats.h"

namespace kw = keywarden;
namespace kb = keywarden::bench;

namespace {

struct Options {
  int slots = 500;
  int latency_ms = 50;
  int concurrency = 8;
  int runs = 3;
  std::string attach;
  std::string dump_file;
  std::string fake_script;
};

const std::vector<std::string> kModels = {"deepseek-chat", "deepseek-reasoner"};

struct RunOutcome {
  double wall_s = 0;
  long peak_rss_kib = 0;
  int requests = 0;    // what the fake saw during the timed call
  double first_s = 0;  // from the call to the first request's arrival
  double span_s = 0;   // first arrival to last arrival + latency
  double tail_s = 0;   // last reply sent to the call's answer
  double daemon_cpu_s = 0;
  double daemon_runq_s = 0;  // runnable but waiting for a CPU (other load)
  double fake_cpu_s = 0;
  double setup_s = 0;
  double rtt_ms = 0;        // one request on a kept-alive connection, measured with curl
  size_t answer_bytes = 0;  // the validate answer's JSON
};

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Thrown, not exit(): the fake, the daemon and temp dirs are cleaned up by
// their destructors on the way out.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void Die(const std::string& why) { throw Failure(why); }

// The time one request takes on a kept-alive connection to the fake, as
// libcurl sees it (the curl program): the median over 20 requests after the
// first. 0 if curl is not installed.
double KeptAliveRttMs(const kb::FakeProvider& fake) {
  std::vector<std::string> argv = {"curl", "-s", "-w", "%{time_total}\\n"};
  for (int i = 0; i < 21; ++i) {
    argv.insert(argv.end(), {"-o", "/dev/null", fake.BaseUrl("deepseek/user/balance")});
  }
  kb::RunResult r = kb::Run(argv);
  if (r.exit_code != 0) return 0;
  std::vector<double> ms;
  size_t at = 0;
  while (at < r.out.size()) {
    size_t newline = r.out.find('\n', at);
    if (newline == std::string::npos) break;
    if (at > 0) ms.push_back(1000 * std::strtod(r.out.c_str() + at, nullptr));  // not the first
    at = newline + 1;
  }
  return kb::Median(ms);
}

// Waits until every version is verified (the adds' own checks are done).
void WaitAllVerified(kw::Client& client, int slots) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    kw::Result<kw::Json> status = client.Call("status");
    if (!status) Die("status: " + status.error().message);
    const kw::Json& by_state = (*status)["versions_by_state"];
    int verified = by_state.value("verified", 0);
    int total = 0;
    for (const auto& [state, count] : by_state.items()) total += count.get<int>();
    if (verified == slots && total == slots) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Die("the initial checks did not all verify within 120 s");
}

// Fills the log-derived fields of `out` from the fake's requests after the
// first `before` (those of the timed call, which started at `call_unix` and
// was answered at `answer_unix`); appends them to o.dump_file if set.
void ReadLog(const kb::FakeProvider& fake, int before, double call_unix, double answer_unix,
             const Options& o, int run, RunOutcome& out) {
  kw::Json log = fake.Admin("GET", "/__admin/log");
  const kw::Json& requests = log["requests"];
  double first = 0, last = 0;
  FILE* dump =
      o.dump_file.empty() ? nullptr : std::fopen(o.dump_file.c_str(), run == 1 ? "w" : "a");
  for (size_t i = static_cast<size_t>(before); i < requests.size(); ++i) {
    double t = requests[i]["t"].get<double>();
    if (dump) {
      kw::Json line = {{"run", run},
                       {"t", t - call_unix},
                       {"method", requests[i]["method"]},
                       {"path", requests[i]["path"]},
                       {"auth", requests[i]["auth"]},
                       {"status", requests[i]["status"]}};
      std::fprintf(dump, "%s\n", line.dump().c_str());
    }
    if (out.requests == 0 || t < first) first = t;
    if (out.requests == 0 || t > last) last = t;
    ++out.requests;
  }
  if (dump) std::fclose(dump);
  double latency_s = o.latency_ms / 1000.0;
  out.first_s = first - call_unix;
  out.span_s = last + latency_s - first;
  out.tail_s = answer_unix - (last + latency_s);
}

RunOutcome RunOnce(const Options& o, int run) {
  kb::TempDir dir("kwbench-fanout");
  kw::Json keys = kw::Json::array();
  std::vector<std::string> secrets;
  for (int i = 0; i < o.slots; ++i) {
    secrets.push_back(kw::testing::FakeKey("deepseek"));
    keys.push_back({{"key", secrets.back()}, {"provider", "deepseek"}});
  }
  kb::FakeProvider fake({{"keys", keys}}, {"--latency-ms", std::to_string(o.latency_ms)},
                        o.fake_script);
  kb::WriteConfig(dir.path() / "home",
                  fake.Endpoints({{"validation",
                                   {{"concurrency_per_endpoint", o.concurrency},
                                    {"revalidate_every", "30d"},
                                    {"retry_min", "1s"},
                                    {"retry_max", "2s"},
                                    {"timeout", "20s"}}}}));
  kb::Daemon daemon(dir.path() / "home");
  std::string why;
  if (!daemon.Start({}, &why)) Die("keywardend did not start: " + why);
  kw::Result<kw::Client> client = daemon.Connect(std::chrono::seconds(170));
  if (!client) Die("connect: " + client.error().message);

  RunOutcome out;
  auto setup_start = std::chrono::steady_clock::now();
  for (int i = 0; i < o.slots; ++i) {
    kw::Result<kw::Json> added =
        client->Call("slot.add", {{"ref", fmt::format("bench/k{:04}", i)},
                                  {"provider", "deepseek"},
                                  {"models", kModels},
                                  {"secret", secrets[static_cast<size_t>(i)]}});
    if (!added) Die("slot.add: " + added.error().message);
  }
  WaitAllVerified(*client, o.slots);
  out.setup_s = Seconds(std::chrono::steady_clock::now() - setup_start);
  out.rtt_ms = KeptAliveRttMs(fake);

  int before = fake.Admin("GET", "/__admin/count").value("count", 0);
  double daemon_cpu = kb::CpuSeconds(daemon.pid());
  double daemon_runq = kb::RunQueueWaitSeconds(daemon.pid());
  double fake_cpu = kb::CpuSeconds(fake.pid());
  std::unique_ptr<kb::Background> attached;
  if (!o.attach.empty()) {
    attached =
        std::make_unique<kb::Background>(kb::AttachArgv(o.attach, daemon.pid()),
                                         std::vector<std::string>{}, dir.path() / "attach.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // until it has attached
  }

  double call_unix = UnixNow();
  auto start = std::chrono::steady_clock::now();
  kw::Result<kw::Json> validated = client->Call("slot.validate", {{"all", true}, {"wait", true}});
  out.wall_s = Seconds(std::chrono::steady_clock::now() - start);
  double answer_unix = UnixNow();
  if (attached) attached->Stop(SIGINT);
  if (!validated) Die("slot.validate: " + validated.error().message);

  out.daemon_cpu_s = kb::CpuSeconds(daemon.pid()) - daemon_cpu;
  out.daemon_runq_s = kb::RunQueueWaitSeconds(daemon.pid()) - daemon_runq;
  out.fake_cpu_s = kb::CpuSeconds(fake.pid()) - fake_cpu;
  out.peak_rss_kib = kw::testing::ProcStatusKib(daemon.pid(), "VmHWM");
  out.answer_bytes = validated->dump().size();
  const kw::Json& slots = (*validated)["slots"];
  int verified = 0;
  for (const kw::Json& s : slots) verified += s.value("state", "") == "verified";
  if (static_cast<int>(slots.size()) != o.slots || verified != o.slots) {
    Die(fmt::format("validate answered {} slots, {} verified; expected {}", slots.size(), verified,
                    o.slots));
  }

  ReadLog(fake, before, call_unix, answer_unix, o, run, out);
  return out;
}

constexpr const char* kUsage =
    "usage: validate_fanout [--slots N] [--latency-ms L] [--concurrency C] [--runs R] "
    "[--attach CMD] [--dump-log FILE] [--fake-script PATH]";

int PositiveInt(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n <= 0 || n > 1000000) {
    Die(flag + " wants a positive number, not \"" + value + "\"");
  }
  return static_cast<int>(n);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (i + 1 >= argc) Die(kUsage);
    std::string value = argv[i + 1];
    if (flag == "--slots") {
      o.slots = PositiveInt(flag, value);
    } else if (flag == "--latency-ms") {
      o.latency_ms = PositiveInt(flag, value);
    } else if (flag == "--concurrency") {
      o.concurrency = PositiveInt(flag, value);
    } else if (flag == "--runs") {
      o.runs = PositiveInt(flag, value);
    } else if (flag == "--attach") {
      o.attach = value;
    } else if (flag == "--dump-log") {
      o.dump_file = value;
    } else if (flag == "--fake-script") {
      o.fake_script = value;
    } else {
      Die(kUsage);
    }
  }
  return o;
}

}  // namespace

int Main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  int probes = o.slots * (1 + static_cast<int>(kModels.size()));
  double floor_s = probes * (o.latency_ms / 1000.0) / o.concurrency;
  std::printf("machine: %s\n%s\n", kb::MachineSummary().c_str(), kb::LoadSummary().c_str());
  std::printf("validate --all: %d slots x %zu models, %d ms latency, concurrency %d per endpoint\n",
              o.slots, kModels.size(), o.latency_ms, o.concurrency);
  std::printf("floor: %d probes x %d ms / %d = %.2f s\n\n", probes, o.latency_ms, o.concurrency,
              floor_s);
  std::printf(
      "ratio: wall / floor.  rtt_ms: one request to the fake on a kept-alive connection\n"
      "(curl), which is what the cap really multiplies; eff_ratio: wall / (probes x rtt / C).\n"
      "first_s: call to first probe; span_s: first probe to last reply; tail_s: last reply to\n"
      "answer; busy: mean requests in flight (probes x rtt / span_s); cpu: seconds on a CPU;\n"
      "runq: seconds the daemon was runnable but waiting for a CPU (other load).\n\n");
  std::printf("%-3s %7s %6s %7s %9s %6s %8s %7s %7s %5s %10s %11s %8s %7s %7s\n", "run", "wall_s",
              "ratio", "rtt_ms", "eff_ratio", "probes", "first_s", "span_s", "tail_s", "busy",
              "daemon_cpu", "daemon_runq", "fake_cpu", "rss_MiB", "setup_s");

  std::vector<double> walls, ratios, eff_ratios, rss;
  double answer_kib = 0;
  for (int run = 1; run <= o.runs; ++run) {
    RunOutcome r = RunOnce(o, run);
    double rtt_s = (r.rtt_ms > 0 ? r.rtt_ms : o.latency_ms) / 1000.0;
    double eff_floor_s = probes * rtt_s / o.concurrency;
    std::printf(
        "%-3d %7.2f %6.2f %7.1f %9.2f %6d %8.3f %7.2f %7.3f %5.2f %10.2f %11.2f %8.2f %7.1f "
        "%7.1f\n",
        run, r.wall_s, r.wall_s / floor_s, r.rtt_ms, r.wall_s / eff_floor_s, r.requests, r.first_s,
        r.span_s, r.tail_s, r.requests * rtt_s / r.span_s, r.daemon_cpu_s, r.daemon_runq_s,
        r.fake_cpu_s, r.peak_rss_kib / 1024.0, r.setup_s);
    std::fflush(stdout);
    walls.push_back(r.wall_s);
    ratios.push_back(r.wall_s / floor_s);
    eff_ratios.push_back(r.wall_s / eff_floor_s);
    rss.push_back(r.peak_rss_kib / 1024.0);
    answer_kib = r.answer_bytes / 1024.0;
  }
  std::printf("\nwall: median %.2f s (min %.2f, max %.2f, spread %.1f%%)\n", kb::Median(walls),
              kb::Min(walls), kb::Max(walls),
              100 * (kb::Max(walls) - kb::Min(walls)) / kb::Median(walls));
  std::printf(
      "ratio to floor: median %.2f (goal <= 1.30); to the measured-rtt floor: median %.2f\n",
      kb::Median(ratios), kb::Median(eff_ratios));
  std::printf("daemon peak RSS (VmHWM): median %.1f MiB (max %.1f)\n", kb::Median(rss),
              kb::Max(rss));
  std::printf("validate answer: %.0f KiB of JSON \n", answer_kib);
  std::printf("%s\n", kb::LoadSummary().c_str());
  return 0;
}

int main(int argc, char** argv) { return kb::RunMain("validate_fanout", Main, argc, argv); }
