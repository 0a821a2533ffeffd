// Scale (issue 7): one database with 100,000 slots. Measures the daemon's
// start (exec to READY=1 and to the first `status` answer), `keywarden list
// --json` end to end, `list` of one env, idle RSS and CPU, and how late the
// next scheduled check reaches the provider.
//
// The database is built once through the core library's Store API, sealed
// with a real master key and data key as keywardend does (the slots look
// like real ones: encrypted versions, checks and diagnoses, rotations, failed
// and pending keys, checks and reminders spread over the coming days, five
// envs). Each run then stops nothing but the daemon: schedule one check a
// few seconds ahead, start keywardend, time it, wait for the probe at the
// fake provider, watch it idle, time the lists.
//
//   scale [--slots N] [--runs R] [--idle-seconds S] [--lists L]
//         [--keep DIR]      build the home in DIR once and reuse it afterwards
//         [--attach 'CMD']  run CMD during each timed `list --json` ({pid} = the daemon)
//         [--strace]        strace -f -c the daemon over each idle window
//         [--daemon PATH] [--cli PATH]  other builds' binaries (before/after figures)
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"
#include "keywarden/clock.h"
#include "keywarden/crypto.h"
#include "keywarden/keyformat.h"
#include "keywarden/store.h"
#include "stats.h"

namespace kw = keywarden;
namespace kb = keywarden::bench;
namespace fs = std::filesystem;

namespace {

struct Options {
  int slots = 100000;
  int runs = 3;
  int idle_seconds = 10;
  int lists = 3;  // timed `list --json` calls per run
  std::string keep;
  std::string attach;
  bool strace = false;
  bool verify = true;  // check one list's output (first run only)
  std::string daemon = KW_DAEMON_PATH;
  std::string cli = KW_CLI_PATH;
};

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void Die(const std::string& why) { throw Failure(why); }

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const std::vector<std::string> kEnvs = {"dev", "staging", "prod", "ci", "test"};
const std::string kProbeRef = "bench/probe";
// Known to the fake provider, so the scheduled probe is answered 200.
const std::string kProbeSecret = "sk-5ca1e0005ca1e0005ca1e0005ca1e000";

struct ProviderMix {
  const char* provider;
  const char* endpoint;
  std::vector<std::string> models;
  const char* prefix;  // how its keys start
  int length;          // characters after the prefix
};

const std::vector<ProviderMix> kMix = {
    {"deepseek", "default", {"deepseek-chat", "deepseek-reasoner"}, "sk-", 32},
    {"openrouter",
     "default",
     {"google/gemini-2.5-pro-preview", "deepseek/deepseek-chat"},
     "sk-or-v1-",
     64},
    {"openai", "default", {"gpt-4o-mini"}, "sk-proj-", 48},
    {"mistral", "codestral", {"codestral-2501"}, "", 32},
    {"anthropic", "default", {"claude-sonnet-4-20250514"}, "sk-ant-api03-", 40},
    {"gemini", "default", {"gemini-2.5-flash", "gemini-2.5-pro"}, "AIza", 35},
};

// A key-shaped random string: `prefix` and `length` hex digits.
std::string FakeSecret(const ProviderMix& mix) {
  kw::SecretBuffer bytes = kw::RandomKey();
  std::string out = mix.prefix;
  static const char kHex[] = "0123456789abcdef";
  for (int i = 0; i < mix.length; ++i) {
    uint8_t b = bytes.data()[i % 32];
    out.push_back(kHex[(i & 1) ? (b & 15) : (b >> 4)]);
  }
  return out;
}

// The daemon's keys as keywardend keeps them (daemon/keys/keyring.cc): a data
// key wrapped by the master key, a fingerprint subkey derived from it.
struct Keys {
  kw::SecretBuffer data;
  kw::SecretBuffer fingerprint;
};

kw::NewVersion SealVersion(const Keys& keys, const std::string& secret, int64_t created_at,
                           std::optional<int64_t> next_check_at) {
  kw::NewVersion v;
  v.uuid = kw::RandomUuid();
  v.seal = [&keys, secret](const kw::RowBinding& row) {
    return kw::SealSecret(keys.data, secret, row);
  };
  v.mask = kw::MaskKey(secret);
  v.fingerprint = kw::Fingerprint(keys.fingerprint, secret);
  v.created_at = created_at;
  v.next_check_at = next_check_at;
  return v;
}

kw::Event MakeEvent(int64_t at, const std::string& action, const std::string& ref, int version,
                    const std::string& fingerprint, const std::string& detail = "") {
  kw::Event e;
  e.at = at;
  e.uid = static_cast<uint32_t>(::geteuid());
  e.owner_uid = e.uid;
  e.action = action;
  e.ref = ref;
  e.version = version;
  e.fingerprint = fingerprint;
  e.detail = detail;
  return e;
}

void Check(const kw::Status& s, const std::string& what) {
  if (!s) Die(what + ": " + s.error().message);
}

// Records a probe-ladder run: every model ok (verified) or the last one
// denied (failed).
void RecordRun(kw::Store& store, const kw::Slot& slot, const kw::Version& version, bool ok,
               int64_t at, std::optional<int64_t> next_check_at) {
  kw::ValidationRecord r;
  r.version_id = version.id;
  r.state = ok ? kw::VersionState::kVerified : kw::VersionState::kFailed;
  r.checks.push_back({"", kw::Outcome::kOk, 200, "", at});
  for (size_t m = 0; m < slot.models.size(); ++m) {
    bool denied = !ok && m + 1 == slot.models.size();
    r.checks.push_back({slot.models[m], denied ? kw::Outcome::kDenied : kw::Outcome::kOk,
                        denied ? 401 : 200, denied ? "No auth credentials found" : "", at});
  }
  if (!ok) {
    r.diagnoses.push_back({"model_denied", fmt::format("this key may not use {}: the provider "
                                                       "answered 401 to a 1-token completion",
                                                       slot.models.back())});
  }
  r.next_check_at = next_check_at;
  r.billed_probes = static_cast<int>(slot.models.size());
  if (ok) r.verified_at = at;
  r.events.push_back(MakeEvent(at, ok ? "verified" : "failed", slot.ref.str(), version.number,
                               version.fingerprint));
  Check(store.RecordValidation(r), "record validation of " + slot.ref.str());
}

kw::Slot AddOne(kw::Store& store, const Keys& keys, const std::string& env, const std::string& name,
                const ProviderMix& mix, const std::string& secret, int64_t created_at,
                std::optional<int64_t> next_check_at) {
  kw::Slot slot;
  slot.ref = {env, name};
  slot.provider = mix.provider;
  slot.endpoint = mix.endpoint;
  slot.models = mix.models;
  slot.owner_uid = static_cast<uint32_t>(::geteuid());
  slot.created_at = created_at;
  kw::NewVersion first = SealVersion(keys, secret, created_at, next_check_at);
  kw::Result<kw::Slot> added = store.AddSlot(
      slot, first, MakeEvent(created_at, "add", slot.ref.str(), 1, first.fingerprint));
  if (!added) Die("add " + slot.ref.str() + ": " + added.error().message);
  return std::move(*added);
}

// Fills `db_file` with `count` slots plus kProbeRef; returns seconds taken.
double Populate(const fs::path& db_file, const fs::path& master_file, int count) {
  auto start = std::chrono::steady_clock::now();
  kw::Result<kw::SecretBuffer> master = kw::CreateMasterKey(master_file);
  if (!master) Die("master key: " + master.error().message);
  Keys keys{kw::RandomKey(), {}};
  keys.fingerprint = kw::DeriveKey(keys.data, 1, "kwfinger");
  kw::Result<std::unique_ptr<kw::Store>> opened = kw::OpenSqliteStore(db_file);
  if (!opened) Die("open store: " + opened.error().message);
  kw::Store& store = **opened;
  Check(store.PutWrappedDataKey(1, kw::WrapKey(*master, keys.data, 1)), "store data key");

  const int64_t now = kw::NowSeconds();
  const int64_t day = 86400;
  for (int i = 0; i < count; ++i) {
    const ProviderMix& mix = kMix[static_cast<size_t>(i / 5) % kMix.size()];
    const std::string env = kEnvs[static_cast<size_t>(i) % kEnvs.size()];
    const std::string name = fmt::format("{}-{:05}", mix.provider, i / 5);
    // Checks and reminders spread over the coming day, none due in the
    // first hour: the timed probe is the only thing due during a run.
    const int64_t next_check = now + 3600 + (static_cast<int64_t>(i) * 7919) % day;
    const int64_t age = (static_cast<int64_t>(i) * 104729) % (80 * day);
    const int kind = i % 20;
    if (kind == 13) {  // just added: pending, first check ahead
      AddOne(store, keys, env, name, mix, FakeSecret(mix), now - 60, next_check);
      continue;
    }
    kw::Slot slot =
        AddOne(store, keys, env, name, mix, FakeSecret(mix), now - age - day, next_check);
    if (kind == 7) {  // failed: the last model is denied
      RecordRun(store, slot, slot.versions[0], false, now - age - day + 5, std::nullopt);
      continue;
    }
    if (kind % 5 != 1) {  // verified
      RecordRun(store, slot, slot.versions[0], true, now - age - day + 5, next_check);
      continue;
    }
    // Rotated: version 1 retired a few days ago (grace still running),
    // version 2 current.
    RecordRun(store, slot, slot.versions[0], true, now - 100 * day, std::nullopt);
    const int64_t rotated_at = now - day * (1 + i % 5);
    kw::NewVersion next = SealVersion(keys, FakeSecret(mix), rotated_at, next_check);
    kw::Result<kw::Slot> rotated = store.AddVersion(
        slot.key(), next, MakeEvent(rotated_at, "rotate", slot.ref.str(), 2, next.fingerprint));
    if (!rotated) Die("rotate " + slot.ref.str() + ": " + rotated.error().message);
    RecordRun(store, *rotated, rotated->versions[1], true, rotated_at + 5, next_check);
  }
  kw::Slot probe =
      AddOne(store, keys, "bench", "probe", kMix[0], kProbeSecret, now - day, std::nullopt);
  RecordRun(store, probe, probe.versions[0], true, now - day + 5, now + 3600);
  return Seconds(std::chrono::steady_clock::now() - start);
}

// The version id of kProbeRef, to schedule its check.
int64_t ProbeVersionId(kw::Store& store) {
  kw::Result<kw::Slot> probe =
      store.GetSlot({static_cast<uint32_t>(::geteuid()), {"bench", "probe"}});
  if (!probe) Die("probe slot: " + probe.error().message);
  return probe->versions.back().id;
}

// A field of /proc/PID/status in KiB ("VmRSS:"), -1 if unreadable.
long StatusKiB(pid_t pid, const std::string& field) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(field)) return std::strtol(line.c_str() + field.size(), nullptr, 10);
  }
  return -1;
}

// Context switches of every thread of `pid` (each one is a wake-up).
long ContextSwitches(pid_t pid) {
  long total = 0;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
    std::ifstream in(task.path() / "status");
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("voluntary_ctxt_switches:") ||
          line.starts_with("nonvoluntary_ctxt_switches:")) {
        total += std::strtol(line.c_str() + line.find(':') + 1, nullptr, 10);
      }
    }
  }
  return total;
}

// "tid:wchan" of every thread, e.g. "812:do_epoll_wait 815:futex_wait_queue".
std::string Wchans(pid_t pid) {
  std::string out;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
    if (!out.empty()) out += ' ';
    out += task.path().filename().string() + ":" + kb::ReadFile(task.path() / "wchan");
  }
  return out;
}

// A datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      Die("cannot bind the notify socket " + path.string());
    }
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  // True once a datagram holding READY=1 has arrived.
  bool Ready() {
    char buffer[512];
    ssize_t n;
    while ((n = ::recv(fd_, buffer, sizeof(buffer), 0)) > 0) {
      if (std::string_view(buffer, static_cast<size_t>(n)).find("READY=1") != std::string::npos) {
        ready_ = true;
      }
    }
    return ready_;
  }

 private:
  fs::path path_;
  int fd_ = -1;
  bool ready_ = false;
};

struct RunOutcome {
  double ready_s = 0;   // exec to READY=1
  double status_s = 0;  // exec to the first `status` answer
  double probe_late_s = 0;
  long rss_start_kib = 0;
  long hwm_start_kib = 0;
  double idle_cpu_s = 0;
  long idle_wakeups = 0;
  std::string wchans;
  std::vector<double> list_s;
  double list_env_s = 0;
  double list_table_s = 0;
  long rss_after_list_kib = 0;
  long hwm_after_list_kib = 0;
  size_t list_bytes = 0;  // of the checked `list --json` output
};

double TimeList(const Options& o, const fs::path& home, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {o.cli, "--home", home.string(), "list"};
  argv.insert(argv.end(), args.begin(), args.end());
  kb::RunResult r = kb::Run(argv, {}, "/dev/null");
  double took = std::chrono::duration<double>(r.elapsed).count();
  // A failed list is reported (as a negative time), not fatal: it is a result.
  if (r.exit_code != 0) {
    std::printf("  keywarden list %s exited %d after %.3f s\n", args.empty() ? "" : args[0].c_str(),
                r.exit_code, took);
    return -took;
  }
  return took;
}

// Lists once into a file and checks the answer: every slot, each with the
// fields DESIGN.md gives. Returns the size of the output.
size_t VerifyList(const Options& o, const fs::path& home, int expected) {
  fs::path file = home.parent_path() / "list.json";
  kb::RunResult r = kb::Run({o.cli, "--home", home.string(), "list", "--json"}, {}, file.c_str());
  if (r.exit_code != 0) return 0;
  std::ifstream in(file);
  kw::Json slots = kw::Json::parse(in, nullptr, false);
  if (!slots.is_array() || slots.size() != static_cast<size_t>(expected)) {
    Die(fmt::format("list --json gave {} slots, not {}", slots.is_array() ? slots.size() : 0,
                    expected));
  }
  for (const char* key : {"ref", "env", "name", "provider", "endpoint", "models", "usable", "state",
                          "current_version", "pending_version", "rotation_due_at", "reminder_due",
                          "versions", "diagnoses"}) {
    if (!slots[0].contains(key)) Die(std::string("list --json lacks ") + key);
  }
  size_t bytes = fs::file_size(file);
  fs::remove(file);
  return bytes;
}

RunOutcome RunOnce(const Options& o, const fs::path& home, kb::FakeProvider& fake) {
  RunOutcome out;
  // The probe's check falls due a few seconds after the daemon starts.
  const int64_t probe_at = kw::NowSeconds() + 4;
  {
    kw::Result<std::unique_ptr<kw::Store>> store = kw::OpenSqliteStore(home / "keywarden.db");
    if (!store) Die("open store: " + store.error().message);
    Check((*store)->ScheduleCheck(ProbeVersionId(**store), probe_at, true), "schedule probe");
  }
  const size_t log_before = fake.Admin("GET", "/__admin/log")["requests"].size();

  NotifySocket notify(home.parent_path() / "notify.sock");
  auto start = std::chrono::steady_clock::now();
  kb::Background daemon({o.daemon, "--home", home.string()},
                        {"NOTIFY_SOCKET=" + (home.parent_path() / "notify.sock").string()},
                        home / "daemon.log");
  bool answered = false;
  while (!answered || !notify.Ready()) {
    if (Seconds(std::chrono::steady_clock::now() - start) > 60) Die("the daemon did not start");
    if (!daemon.Alive()) Die("keywardend exited: " + kb::ReadFile(home / "daemon.log"));
    if (notify.Ready() && out.ready_s == 0)
      out.ready_s = Seconds(std::chrono::steady_clock::now() - start);
    if (!answered) {
      if (auto client = kw::Client::Connect(home / "keywarden.sock", std::chrono::seconds(10))) {
        if (client->Call("status")) {
          answered = true;
          out.status_s = Seconds(std::chrono::steady_clock::now() - start);
          continue;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (out.ready_s == 0) out.ready_s = Seconds(std::chrono::steady_clock::now() - start);

  // The scheduled check: when did its first request reach the fake?
  for (;;) {
    kw::Json log = fake.Admin("GET", "/__admin/log");
    const kw::Json requests = log["requests"];
    if (requests.size() > log_before) {
      out.probe_late_s = requests[log_before]["t"].get<double>() - static_cast<double>(probe_at);
      break;
    }
    if (UnixNow() > static_cast<double>(probe_at) + 30) Die("the scheduled check never came");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the check's answers are recorded
  out.rss_start_kib = StatusKiB(daemon.pid(), "VmRSS:");
  out.hwm_start_kib = StatusKiB(daemon.pid(), "VmHWM:");

  std::unique_ptr<kb::Background> tracer;
  if (o.strace) {
    tracer = std::make_unique<kb::Background>(
        std::vector<std::string>{"strace", "-f", "-c", "-o",
                                 (home.parent_path() / "idle.strace").string(), "-p",
                                 std::to_string(daemon.pid())},
        std::vector<std::string>{}, home.parent_path() / "strace.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  double cpu_before = kb::CpuSeconds(daemon.pid());
  long switches_before = ContextSwitches(daemon.pid());
  std::this_thread::sleep_for(std::chrono::seconds(o.idle_seconds));
  out.idle_cpu_s = kb::CpuSeconds(daemon.pid()) - cpu_before;
  out.idle_wakeups = ContextSwitches(daemon.pid()) - switches_before;
  out.wchans = Wchans(daemon.pid());
  if (tracer) {
    tracer->Stop(SIGINT);
    std::printf("  strace -f -c over the idle window:\n%s",
                kb::ReadFile(home.parent_path() / "idle.strace").c_str());
  }

  for (int i = 0; i < o.lists; ++i) {
    std::unique_ptr<kb::Background> attached;
    if (!o.attach.empty()) {
      attached = std::make_unique<kb::Background>(kb::AttachArgv(o.attach, daemon.pid()),
                                                  std::vector<std::string>{},
                                                  home.parent_path() / "attach.log");
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    out.list_s.push_back(TimeList(o, home, {"--json"}));
    if (attached) attached->Stop(SIGINT);
  }
  if (o.verify) out.list_bytes = VerifyList(o, home, o.slots + 1);
  out.list_env_s = TimeList(o, home, {"--env", "prod", "--json"});
  out.list_table_s = TimeList(o, home, {});
  std::this_thread::sleep_for(std::chrono::seconds(2));
  out.rss_after_list_kib = StatusKiB(daemon.pid(), "VmRSS:");
  out.hwm_after_list_kib = StatusKiB(daemon.pid(), "VmHWM:");
  daemon.Stop();
  return out;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--slots") {
      o.slots = std::stoi(value());
    } else if (arg == "--runs") {
      o.runs = std::stoi(value());
    } else if (arg == "--idle-seconds") {
      o.idle_seconds = std::stoi(value());
    } else if (arg == "--lists") {
      o.lists = std::stoi(value());
    } else if (arg == "--keep") {
      o.keep = value();
    } else if (arg == "--attach") {
      o.attach = value();
    } else if (arg == "--daemon") {
      o.daemon = value();
    } else if (arg == "--cli") {
      o.cli = value();
    } else if (arg == "--strace") {
      o.strace = true;
    } else {
      Die("usage: scale [--slots N] [--runs R] [--idle-seconds S] [--lists L] [--keep DIR] "
          "[--attach 'CMD'] [--strace] [--daemon PATH] [--cli PATH]");
    }
  }
  return o;
}

std::string Spread(const std::vector<double>& v, double scale, const char* unit) {
  return fmt::format("median {:.3f} {} (min {:.3f}, max {:.3f}, n={})", kb::Median(v) * scale, unit,
                     kb::Min(v) * scale, kb::Max(v) * scale, v.size());
}

int Main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("%s\n%s\n", kb::MachineSummary().c_str(), kb::LoadSummary().c_str());

  std::unique_ptr<kb::TempDir> temp;
  fs::path root;
  if (o.keep.empty()) {
    temp = std::make_unique<kb::TempDir>("kwbench-scale");
    root = temp->path();
  } else {
    root = fs::absolute(o.keep);
    fs::create_directories(root);
  }
  const fs::path home = root / "home";
  kb::FakeProvider fake(
      kw::Json{{"keys", kw::Json::array({{{"key", kProbeSecret}, {"provider", "deepseek"}}})}});
  kb::WriteConfig(home, fake.Endpoints({{"validation", {{"revalidate_every", "24h"}}}}));

  if (!fs::exists(home / "keywarden.db")) {
    // SQLite fsyncs every commit (synchronous=FULL); build in memory-backed
    // /dev/shm when there is one, then copy the closed database over.
    std::unique_ptr<kb::TempDir> staging;
    fs::path build_dir = home;
    if (fs::is_directory("/dev/shm") && ::access("/dev/shm", W_OK) == 0) {
      staging = std::make_unique<kb::TempDir>("kwbench-scale-db", "/dev/shm");
      build_dir = staging->path();
    }
    double took = Populate(build_dir / "keywarden.db", home / "master.key", o.slots);
    if (build_dir != home) fs::copy_file(build_dir / "keywarden.db", home / "keywarden.db");
    std::printf("populated %d slots in %.1f s (%.1f MiB database)\n", o.slots + 1, took,
                static_cast<double>(fs::file_size(home / "keywarden.db")) / (1 << 20));
  } else {
    std::printf("reusing %s (%.1f MiB database)\n", home.c_str(),
                static_cast<double>(fs::file_size(home / "keywarden.db")) / (1 << 20));
  }

  std::vector<RunOutcome> runs;
  for (int run = 1; run <= o.runs; ++run) {
    runs.push_back(RunOnce(o, home, fake));
    o.verify = false;
    std::fflush(stdout);
    const RunOutcome& r = runs.back();
    std::string lists;
    for (double s : r.list_s) lists += fmt::format(" {:.3f}", s);
    std::printf(
        "run %d: ready %.3f s, status %.3f s, probe late %.3f s | idle: rss %ld KiB (hwm %ld), "
        "cpu %.3f s over %d s, %ld wake-ups | list --json%s s, --env prod %.3f s, table %.3f s | "
        "after list: rss %ld KiB, hwm %ld KiB\n  threads: %s\n",
        run, r.ready_s, r.status_s, r.probe_late_s, r.rss_start_kib / 1, r.hwm_start_kib,
        r.idle_cpu_s, o.idle_seconds, r.idle_wakeups, lists.c_str(), r.list_env_s, r.list_table_s,
        r.rss_after_list_kib, r.hwm_after_list_kib, r.wchans.c_str());
    std::fflush(stdout);
  }

  auto collect = [&runs](auto field) {
    std::vector<double> v;
    for (const RunOutcome& r : runs) v.push_back(static_cast<double>(field(r)));
    return v;
  };
  std::vector<double> lists;
  for (const RunOutcome& r : runs) lists.insert(lists.end(), r.list_s.begin(), r.list_s.end());
  std::printf("\n%d slots, %d runs; %s\n", o.slots + 1, o.runs, kb::LoadSummary().c_str());
  std::printf("start to READY=1     %s\n",
              Spread(collect([](const RunOutcome& r) { return r.ready_s; }), 1000, "ms").c_str());
  std::printf("start to status      %s\n",
              Spread(collect([](const RunOutcome& r) { return r.status_s; }), 1000, "ms").c_str());
  std::printf("list --json          %s\n", Spread(lists, 1000, "ms").c_str());
  std::printf(
      "list --env prod --json %s\n",
      Spread(collect([](const RunOutcome& r) { return r.list_env_s; }), 1000, "ms").c_str());
  std::printf(
      "list (table)         %s\n",
      Spread(collect([](const RunOutcome& r) { return r.list_table_s; }), 1000, "ms").c_str());
  std::printf(
      "check late by        %s\n",
      Spread(collect([](const RunOutcome& r) { return r.probe_late_s; }), 1000, "ms").c_str());
  std::printf(
      "idle VmRSS           %s\n",
      Spread(collect([](const RunOutcome& r) { return r.rss_start_kib; }), 1.0 / 1024, "MiB")
          .c_str());
  std::printf(
      "VmRSS after lists    %s\n",
      Spread(collect([](const RunOutcome& r) { return r.rss_after_list_kib; }), 1.0 / 1024, "MiB")
          .c_str());
  std::printf(
      "VmHWM after lists    %s\n",
      Spread(collect([](const RunOutcome& r) { return r.hwm_after_list_kib; }), 1.0 / 1024, "MiB")
          .c_str());
  std::printf("idle CPU             %s over %d s\n",
              Spread(collect([](const RunOutcome& r) { return r.idle_cpu_s; }), 1000, "ms").c_str(),
              o.idle_seconds);
  std::printf("idle wake-ups        %s\n",
              Spread(collect([](const RunOutcome& r) { return r.idle_wakeups; }), 1, "").c_str());
  std::printf("list --json output   %.1f MiB (checked: every slot, the fields of DESIGN.md)\n",
              static_cast<double>(runs.front().list_bytes) / (1 << 20));
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return kb::RunMain("scale", Main, argc, argv); }
