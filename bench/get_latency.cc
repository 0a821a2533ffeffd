// `keywarden get ENV/NAME` end to end (process start, connect, decrypt,
// print), next to the tools a user would pick instead, on the same secret in
// the same run: `pass show` (gpg, through gpg-agent, no passphrase), `age -d`
// with an identity file, and `/bin/true` as the floor (a process that does
// nothing). A second table splits keywarden's time: the CLI starting alone
// (`--version`), a CLI round trip that writes nothing (`status`), the
// daemon's share measured in-process (connect + `slot.get`, connect +
// `status`), and one 4 KiB write + fdatasync on the daemon's file system
// (the `get` event is committed before the secret leaves the daemon).
// All rows run interleaved round-robin, so background load hits each alike.
//
//   get_latency [--runs N] [--warmup W]
//
// Needs python3 (the fake provider verifies the slot); pass, gpg, age and
// age-keygen are used when installed (apt-get install pass age gnupg) and
// skipped otherwise.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixture.h"
#include "stats.h"

namespace kw = keywarden;
namespace kb = keywarden::bench;

namespace {

// Thrown, not exit(): the fake, the daemon, gpg-agent and temp dirs are
// cleaned up by their destructors on the way out.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void Die(const std::string& why) { throw Failure(why); }

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// One line of a table: `once` runs the thing and returns its time in ms.
struct Row {
  std::string name;
  std::function<double()> once;
  std::vector<double> ms;
};

std::string TrimNewline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// A program run to completion; its exit code must be 0 and, if `expect` is
// given, its output (less a final newline) must be exactly that, every time.
Row ProgramRow(std::string name, std::vector<std::string> argv, std::vector<std::string> env = {},
               std::optional<std::string> expect = std::nullopt) {
  return Row{name,
             [name, argv = std::move(argv), env = std::move(env), expect = std::move(expect)] {
               kb::RunResult r = kb::Run(argv, env);
               if (r.exit_code != 0) Die(fmt::format("{} exited {}", name, r.exit_code));
               if (expect && TrimNewline(r.out) != *expect) Die(name + " did not print the secret");
               return Ms(r.elapsed);
             },
             {}};
}

bool Installed(const std::string& program) {
  return kb::Run({"sh", "-c", "command -v " + program}).exit_code == 0;
}

// Runs a setup step through sh with the secret in $KW_BENCH_SECRET (never
// in argv); dies with `what` if it fails.
void Setup(const std::string& what, const std::string& script, std::vector<std::string> env,
           const std::string& secret) {
  env.push_back("KW_BENCH_SECRET=" + secret);
  kb::RunResult r = kb::Run({"sh", "-c", script + " >/dev/null 2>&1"}, env);
  if (r.exit_code != 0) Die(fmt::format("{} failed (exit {})", what, r.exit_code));
}

// Stops the gpg-agent that gpg starts for a GNUPGHOME, on every way out.
class AgentGuard {
 public:
  explicit AgentGuard(std::filesystem::path gnupg_home) : home_(std::move(gnupg_home)) {}
  ~AgentGuard() { kb::Run({"gpgconf", "--kill", "gpg-agent"}, {"GNUPGHOME=" + home_.string()}); }
  AgentGuard(const AgentGuard&) = delete;
  AgentGuard& operator=(const AgentGuard&) = delete;

 private:
  std::filesystem::path home_;
};

// `pass show` on a store holding `secret`, with a fresh no-passphrase key.
Row PassRow(const std::filesystem::path& dir, const std::string& secret) {
  std::vector<std::string> env = {"GNUPGHOME=" + (dir / "gnupg").string(),
                                  "PASSWORD_STORE_DIR=" + (dir / "store").string()};
  Setup("gpg key generation",
        "gpg --batch --pinentry-mode loopback --passphrase '' "
        "--quick-gen-key 'keywarden bench <bench@localhost>' default default never",
        env, secret);
  Setup("pass init", "pass init bench@localhost", env, secret);
  Setup("pass insert", "printf '%s\\n' \"$KW_BENCH_SECRET\" | pass insert -m bench/deepseek", env,
        secret);
  return ProgramRow("pass show", {"pass", "show", "bench/deepseek"}, env, secret);
}

// `age -d` of `secret` sealed to a fresh identity file.
Row AgeRow(const std::filesystem::path& dir, const std::string& secret) {
  std::string identity = (dir / "age.key").string();
  std::string sealed = (dir / "secret.age").string();
  Setup("age-keygen", "age-keygen -o " + identity, {}, secret);
  Setup("age -e",
        fmt::format("printf '%s' \"$KW_BENCH_SECRET\" | age -e -r \"$(age-keygen -y {})\" -o {}",
                    identity, sealed),
        {}, secret);
  return ProgramRow("age -d", {"age", "-d", "-i", identity, sealed}, {}, secret);
}

// The daemon's share of a CLI call: a fresh connection and one request,
// from this process.
Row InProcessRow(std::string name, const kb::Daemon& daemon, std::string method, kw::Json params) {
  return Row{std::move(name),
             [&daemon, method = std::move(method), params = std::move(params)] {
               auto start = Clock::now();
               kw::Result<kw::Client> client = daemon.Connect();
               if (!client) Die("connect: " + client.error().message);
               bool ok = method == "slot.get"
                             ? client->CallForSecret(method, params, nullptr).has_value()
                             : client->Call(method, params).has_value();
               if (!ok) Die(method + " failed");
               return Ms(Clock::now() - start);
             },
             {}};
}

// One 4 KiB write + fdatasync to a file next to the daemon's database.
Row FdatasyncRow(const std::filesystem::path& file) {
  return Row{"4 KiB write + fdatasync",
             [file] {
               int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
               if (fd < 0) Die("cannot open " + file.string());
               char block[4096] = {};
               auto start = Clock::now();
               bool ok = ::write(fd, block, sizeof(block)) == sizeof(block) && ::fdatasync(fd) == 0;
               double ms = Ms(Clock::now() - start);
               ::close(fd);
               if (!ok) Die("write + fdatasync failed");
               return ms;
             },
             {}};
}

void PrintTable(const std::vector<Row>& rows, size_t first, size_t last, double reference) {
  std::printf("%-34s %8s %8s %8s %8s %12s\n", "", "median", "p90", "min", "max", "/ kw get");
  for (size_t i = first; i < last; ++i) {
    const Row& r = rows[i];
    double median = kb::Median(r.ms);
    std::printf("%-34s %8.3f %8.3f %8.3f %8.3f %12.2f\n", r.name.c_str(), median,
                kb::Quantile(r.ms, 0.9), kb::Min(r.ms), kb::Max(r.ms), median / reference);
  }
}

}  // namespace

int Main(int argc, char** argv) {
  int runs = 200, warmup = 10;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    int* target = flag == "--runs" ? &runs : flag == "--warmup" ? &warmup : nullptr;
    char* end = nullptr;
    long n = i + 1 < argc ? std::strtol(argv[i + 1], &end, 10) : -1;
    if (!target || n < 0 || n > 100000 || *end != '\0' || (target == &runs && n == 0)) {
      Die("usage: get_latency [--runs N] [--warmup W]");
    }
    *target = static_cast<int>(n);
  }

  kb::OneSlotBench bench("kwbench-get");
  const std::filesystem::path& dir = bench.dir();
  const std::filesystem::path home = bench.home();
  const std::string& secret = bench.secret();
  const kb::Daemon& daemon = bench.daemon();
  const std::vector<std::string> kw_env = {"KEYWARDEN_HOME=" + home.string()};

  // Headline rows first; rows[1] is `keywarden get`, the reference.
  std::vector<Row> rows;
  rows.push_back(ProgramRow("/bin/true", {"/bin/true"}));
  rows.push_back(
      ProgramRow("keywarden get", {KW_CLI_PATH, "get", kb::OneSlotBench::kRef}, kw_env, secret));
  std::optional<AgentGuard> agent;
  if (Installed("pass") && Installed("gpg")) {
    std::filesystem::create_directories(dir / "gnupg");
    std::filesystem::permissions(dir / "gnupg", std::filesystem::perms::owner_all);
    agent.emplace(dir / "gnupg");
    rows.push_back(PassRow(dir, secret));
  } else {
    std::printf("pass or gpg not installed: skipping pass show\n");
  }
  if (Installed("age") && Installed("age-keygen")) {
    rows.push_back(AgeRow(dir, secret));
  } else {
    std::printf("age not installed: skipping age -d\n");
  }
  const size_t headline = rows.size();
  rows.push_back(ProgramRow("keywarden --version (no socket)", {KW_CLI_PATH, "--version"}, kw_env));
  rows.push_back(ProgramRow("keywarden status (no disk write)", {KW_CLI_PATH, "status"}, kw_env));
  rows.push_back(InProcessRow("in-process connect + slot.get", daemon, "slot.get",
                              {{"ref", kb::OneSlotBench::kRef}}));
  rows.push_back(InProcessRow("in-process connect + status", daemon, "status", kw::Json::object()));
  rows.push_back(FdatasyncRow(home / "fdatasync-probe"));

  for (int i = 0; i < warmup + runs; ++i) {
    for (Row& r : rows) {
      double ms = r.once();
      if (i >= warmup) r.ms.push_back(ms);
    }
  }

  std::printf("machine: %s\n%s\n", kb::MachineSummary().c_str(), kb::LoadSummary().c_str());
  std::printf("%d runs of each row after %d warm-up runs, interleaved; ms, spawn to exit\n\n", runs,
              warmup);
  double kw_median = kb::Median(rows[1].ms);
  PrintTable(rows, 0, headline, kw_median);
  std::printf("\nwhere keywarden get's time goes:\n");
  PrintTable(rows, headline, rows.size(), kw_median);
  std::printf("\nkeywarden get: median %.3f ms (goal <= 2 ms), %.3f ms above /bin/true\n",
              kw_median, kw_median - kb::Median(rows[0].ms));
  for (size_t i = 2; i < headline; ++i) {
    std::printf("%s / keywarden get: %.2fx%s\n", rows[i].name.c_str(),
                kb::Median(rows[i].ms) / kw_median,
                rows[i].name == "pass show" ? " (goal >= 7x)" : "");
  }
  return 0;
}

int main(int argc, char** argv) { return kb::RunMain("get_latency", Main, argc, argv); }
