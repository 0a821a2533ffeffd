// Summaries the benchmarks print: order statistics over samples, and a line
// describing the machine they ran on.
#pragma once

#include <string>
#include <vector>

namespace keywarden::bench {

// The q-quantile (0..1) of `samples` by nearest rank on a sorted copy; 0
// for an empty vector.
double Quantile(std::vector<double> samples, double q);
inline double Median(const std::vector<double>& samples) { return Quantile(samples, 0.5); }
double Min(const std::vector<double>& samples);
double Max(const std::vector<double>& samples);

// "2 × <model name>, 7.8 GiB RAM, Linux 6.1.0-…" from /proc and uname.
std::string MachineSummary();
// "/proc/loadavg: 0.52 0.40 0.31": other work on the machine skews timings.
std::string LoadSummary();

}  // namespace keywarden::bench
