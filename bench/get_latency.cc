// `keywarden get ENV/NAME` end to end (process start, connect, decrypt,
// print), next to the tools a user would pick instead, on the same secret in
// the same run: `pass show` (gpg, through gpg-agent, no passphrase), `age -d`
// with an identity file, and `/bin/true` as the floor (a process that does
// nothing). Runs are interleaved round-robin so background load hits every
// contender alike.
//
//   get_latency [--runs N] [--warmup W]
//
// Needs python3 (the fake provider verifies the slot); pass, gpg, age and
// age-keygen are used when installed (apt-get install pass age gnupg) and
// skipped otherwise.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "fixture.h"
#include "stats.h"

namespace kw = keywarden;
namespace kb = keywarden::bench;

namespace {

struct Contender {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::vector<double> ms;
};

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "get_latency: error: %s\n", why.c_str());
  std::exit(1);
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

std::string TrimNewline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// A verified DeepSeek slot "bench/deepseek" on `daemon`, checked by the fake.
void AddVerifiedSlot(const kb::Daemon& daemon, const std::string& secret) {
  kw::Result<kw::Client> client = daemon.Connect();
  if (!client) Die("connect: " + client.error().message);
  kw::Result<kw::Json> added = client->Call(
      "slot.add",
      {{"ref", "bench/deepseek"}, {"provider", "deepseek"}, {"models", {"deepseek-chat"}}, {"secret", secret}});
  if (!added) Die("slot.add: " + added.error().message);
  for (int i = 0; i < 200; ++i) {
    kw::Result<kw::Json> shown = client->Call("slot.show", {{"ref", "bench/deepseek"}});
    if (shown && (*shown)["slot"].value("usable", false)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Die("the slot did not become usable within 10 s");
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 200, warmup = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--runs") runs = std::atoi(argv[i + 1]);
    else if (flag == "--warmup") warmup = std::atoi(argv[i + 1]);
    else Die("usage: get_latency [--runs N] [--warmup W]");
  }

  kb::TempDir dir("kwbench-get");
  const std::string secret = kb::DeepSeekKey(0);
  std::filesystem::create_directories(dir.path() / "fake");
  kb::FakeProvider fake(dir.path() / "fake",
                        {{"keys", {{{"key", secret}, {"provider", "deepseek"}}}}}, {});
  const std::filesystem::path home = dir.path() / "home";
  kb::WriteConfig(home, fake.Config({{"validation", {{"revalidate_every", "30d"}}}}));
  kb::Daemon daemon(home);
  std::string why;
  if (!daemon.Start(&why)) Die("keywardend did not start: " + why);
  AddVerifiedSlot(daemon, secret);

  std::vector<Contender> contenders;
  contenders.push_back({"/bin/true", {"/bin/true"}, {}, {}});
  contenders.push_back(
      {"keywarden get", {KW_CLI_PATH, "get", "bench/deepseek"}, {"KEYWARDEN_HOME=" + home.string()}, {}});

  const std::filesystem::path gnupg = dir.path() / "gnupg";
  bool have_pass = Installed("pass") && Installed("gpg");
  if (have_pass) {
    std::filesystem::create_directories(gnupg);
    std::filesystem::permissions(gnupg, std::filesystem::perms::owner_all);
    std::vector<std::string> env = {"GNUPGHOME=" + gnupg.string(),
                                    "PASSWORD_STORE_DIR=" + (dir.path() / "store").string()};
    Setup("gpg key generation",
          "gpg --batch --pinentry-mode loopback --passphrase '' "
          "--quick-gen-key 'keywarden bench <bench@localhost>' default default never",
          env, secret);
    Setup("pass init", "pass init bench@localhost", env, secret);
    Setup("pass insert", "printf '%s\\n' \"$KW_BENCH_SECRET\" | pass insert -m bench/deepseek", env, secret);
    contenders.push_back({"pass show", {"pass", "show", "bench/deepseek"}, env, {}});
  } else {
    std::printf("pass or gpg not installed: skipping pass show\n");
  }

  if (Installed("age") && Installed("age-keygen")) {
    std::string identity = (dir.path() / "age.key").string();
    std::string sealed = (dir.path() / "secret.age").string();
    Setup("age-keygen", "age-keygen -o " + identity, {}, secret);
    Setup("age -e",
          fmt::format("printf '%s' \"$KW_BENCH_SECRET\" | age -e -r \"$(age-keygen -y {})\" -o {}", identity,
                      sealed),
          {}, secret);
    contenders.push_back({"age -d", {"age", "-d", "-i", identity, sealed}, {}, {}});
  } else {
    std::printf("age not installed: skipping age -d\n");
  }

  // Every contender must print the secret before its time means anything.
  for (Contender& c : contenders) {
    if (c.name == "/bin/true") continue;
    kb::RunResult r = kb::Run(c.argv, c.env);
    if (r.exit_code != 0 || TrimNewline(r.out) != secret) {
      Die(fmt::format("{} did not print the secret (exit {})", c.name, r.exit_code));
    }
  }

  for (int i = 0; i < warmup + runs; ++i) {
    for (Contender& c : contenders) {
      kb::RunResult r = kb::Run(c.argv, c.env);
      if (r.exit_code != 0) Die(fmt::format("{} exited {}", c.name, r.exit_code));
      if (i >= warmup) c.ms.push_back(std::chrono::duration<double, std::milli>(r.elapsed).count());
    }
  }

  std::printf("machine: %s\n%s\n", kb::MachineSummary().c_str(), kb::LoadSummary().c_str());
  std::printf("%d runs each after %d warm-up runs, interleaved; times in ms, spawn to exit\n\n", runs, warmup);
  const Contender& kwget = contenders[1];
  double kw_median = kb::Median(kwget.ms);
  std::printf("%-14s %8s %8s %8s %8s %14s\n", "command", "median", "p90", "min", "max", "x keywarden");
  for (const Contender& c : contenders) {
    double median = kb::Median(c.ms);
    std::printf("%-14s %8.3f %8.3f %8.3f %8.3f %14.2f\n", c.name.c_str(), median, kb::Quantile(c.ms, 0.9),
                kb::Min(c.ms), kb::Max(c.ms), median / kw_median);
  }
  double floor_median = kb::Median(contenders[0].ms);
  std::printf("\nkeywarden get: median %.3f ms (goal <= 2 ms), %.3f ms above /bin/true\n", kw_median,
              kw_median - floor_median);
  for (const Contender& c : contenders) {
    if (c.name == "pass show") {
      std::printf("pass show / keywarden get: %.1fx (goal >= 7x)\n", kb::Median(c.ms) / kw_median);
    }
  }
  if (have_pass) kb::Run({"gpgconf", "--kill", "gpg-agent"}, {"GNUPGHOME=" + gnupg.string()});
  return 0;
}
