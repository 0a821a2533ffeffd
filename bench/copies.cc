// `keywarden copies` over 1,000 recorded copies (docs/copies.md), end to
// end: the CLI lists the records, reads each file, and asks the daemon to
// identify each key it finds (one key.identify per copy). The copies are
// 1,000 dotenv files each holding the slot's key, recorded through
// copy.record as `keywarden export --to dotenv` records them (writing them
// through 1,000 exports would only slow the setup). The target is <= 1 s.
//
//   copies [--copies N] [--runs R]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixture.h"
#include "keywarden/messages_copies.h"
#include "stats.h"

namespace kw = keywarden;
namespace kb = keywarden::bench;
namespace fs = std::filesystem;

namespace {

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int Main(int argc, char** argv) {
  int copies = 1000, runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--copies") {
      copies = std::atoi(argv[i + 1]);
    } else if (flag == "--runs") {
      runs = std::atoi(argv[i + 1]);
    } else {
      throw Failure("usage: copies [--copies N] [--runs R]");
    }
  }
  kb::OneSlotBench bench("kwbench-copies");
  kw::Result<kw::Client> client = bench.daemon().Connect();
  if (!client) throw Failure(client.error().message);
  const fs::path files = bench.dir() / "projects";
  for (int i = 0; i < copies; ++i) {
    const fs::path dir = files / fmt::format("p{:04}", i);
    fs::create_directories(dir);
    std::ofstream(dir / ".env") << "# project " << i << "\nDEEPSEEK_API_KEY=" << bench.secret()
                                << "\nOTHER=1\n";
    const kw::CopyRecordParams params{
        bench.kRef,      "dotenv", (dir / ".env").string(), "dotenv:DEEPSEEK_API_KEY",
        "deepseek-chat", 1};
    kw::Result<kw::Json> r = client->Call(params.kMethod, Encode(params));
    if (!r) throw Failure("copy.record: " + r.error().message);
  }
  std::vector<double> seconds;
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    kb::RunResult r = bench.daemon().Cli({"copies", "--json"});
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r.exit_code != 0) throw Failure("keywarden copies exited " + std::to_string(r.exit_code));
    const kw::Json out = kw::Json::parse(r.out);
    if (static_cast<int>(out["copies"].size()) != copies) throw Failure("not every copy listed");
    for (const kw::Json& c : out["copies"]) {
      if (c["status"] != "current") throw Failure("a copy is " + c["status"].dump());
    }
    if (r.out.find(bench.secret()) != std::string::npos) throw Failure("a full key was printed");
    seconds.push_back(s);
  }
  std::printf("keywarden copies --json over %d copies: median %.3f s (min %.3f, max %.3f, n=%d)\n",
              copies, kb::Median(seconds), *std::min_element(seconds.begin(), seconds.end()),
              *std::max_element(seconds.begin(), seconds.end()), runs);
  return kb::Median(seconds) <= 1.0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return kb::RunMain("copies", Main, argc, argv); }
