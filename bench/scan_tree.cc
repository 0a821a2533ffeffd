// `keywarden scan` over a tree of 10,000 files, 100 of them holding keys,
// with a warm page cache (goal: at most 1 s). Every file is a .env* file of
// a few NAME=value lines, so each is opened and read: the worst case for
// the scanner (a real tree's other files are only listed). The CLI runs as
// a user would run it, with --no-home and no daemon (key.identify is not
// timed: the finds are then "not identified").
//
//   scan_tree [--files N] [--with-keys K] [--runs R] [--cli PATH]
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "keywarden/protocol.h"
#include "stats.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace kb = keywarden::bench;
namespace kt = keywarden::testing;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  int files = 10000, with_keys = 100, runs = 7;
  std::string cli = KW_CLI_PATH;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--files") files = std::atoi(argv[i + 1]);
    if (flag == "--with-keys") with_keys = std::atoi(argv[i + 1]);
    if (flag == "--runs") runs = std::atoi(argv[i + 1]);
    if (flag == "--cli") cli = argv[i + 1];
  }
  kt::TempDir dir("kwscanbench");
  const fs::path root = dir.path() / "tree";
  // 100 directories of files/100 files each, two levels deep; every
  // files/with_keys-th file holds an OpenRouter key.
  const int every = with_keys > 0 ? files / with_keys : files + 1;
  for (int i = 0; i < files; ++i) {
    fs::path sub = root / fmt::format("p{:02}", i % 10) / fmt::format("app{:02}", (i / 10) % 10);
    fs::create_directories(sub);
    std::ofstream out(sub / fmt::format(".env.{}", i));
    out << "# service settings\nPORT=8080\nLOG_LEVEL=info\nDATABASE_URL=postgres://db/app\n"
           "FEATURE_FLAGS=a,b,c\nCACHE_TTL=300\n";
    if (i % every == 0) out << "OPENROUTER_API_KEY=sk-or-v1-" << fmt::format("{:064x}", i) << "\n";
  }
  fmt::print("{}\n{}\n", kb::MachineSummary(), kb::LoadSummary());
  const std::vector<std::string> args = {"--socket", (dir.path() / "none.sock").string(),
                                         "scan",     "--no-home",
                                         "--json",   root.string()};
  // Warm the cache, and check the count.
  kt::CliResult first = kt::RunProgram(cli, args);
  keywarden::Json out = keywarden::Json::parse(first.out, nullptr, false);
  const size_t found = out.is_object() ? out["finds"].size() : 0;
  fmt::print("files {}, with keys {}, finds {} (exit {})\n", files, with_keys, found,
             first.exit_code);
  if (found != static_cast<size_t>((files + every - 1) / every)) {
    fmt::print(stderr, "unexpected number of finds\n{}", first.err);
    return 1;
  }
  std::vector<double> seconds;
  for (int r = 0; r < runs; ++r) {
    kt::CliResult run = kt::RunProgram(cli, args);
    seconds.push_back(std::chrono::duration<double>(run.elapsed).count());
    fmt::print("run {}: {:.3f} s\n", r + 1, seconds.back());
  }
  fmt::print("median {:.3f} s, min {:.3f} s, max {:.3f} s\n{}\n", kb::Median(seconds),
             kb::Min(seconds), kb::Max(seconds), kb::LoadSummary());
  return 0;
}
