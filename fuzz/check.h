// What the fuzz targets share: the invariant check that turns a broken
// property into a finding, and the line-preservation check of the mergers.
#ifndef KEYWARDEN_FUZZ_CHECK_H_
#define KEYWARDEN_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace keywarden::fuzz {

// Aborts, which libFuzzer reports as a crash with the input saved, when an
// invariant does not hold. scripts/fuzz greps for "invariant broken".
inline void Require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace keywarden::fuzz

#endif  // KEYWARDEN_FUZZ_CHECK_H_
