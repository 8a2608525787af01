// Two states, not one noisy one: a target whose runs fall into two clusters far apart (the malloc
// variant under 64 KiB echo runs at 2-3 k msgs/s in some starts and 25-40 k in others, issue 14) is
// flagged with both clusters, because a median of such runs describes neither state.
//
// The rule, on the positive values of one metric over a row's runs (fresh server processes):
// sort them, split at the widest gap between neighbours on a log scale, and call it bimodal when
//   - the clusters' medians are at least kBimodalRatio apart, and
//   - that gap is at least kGapOverSpread times the wider cluster's own log range, and
//   - each cluster has two runs or more; a lone run counts as a cluster only when the row has three
//     runs or fewer (make bench's --quick three repetitions could never show two states otherwise).
// Noise on this shared machine spreads runs by up to ~70 % (min-max over median), so 2x between
// cluster medians with a clean gap is a different state, not a wider spread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace wsalloc::bench {

inline constexpr double kBimodalRatio = 2.0;
inline constexpr double kGapOverSpread = 3.0;

struct Cluster {
  double median = 0, min = 0, max = 0;
  size_t runs = 0;
};

struct Bimodal {
  Cluster low, high;
};

// nullopt unless `values` (one per run; zero and negative values are left out) form two clusters.
std::optional<Bimodal> find_bimodal(std::vector<double> values);

// "2 runs at 2.41k (2.1k-2.7k), 2 at 31.2k (25k-40k)": both clusters, for a flag or a cell.
std::string describe(const Bimodal& b);

}  // namespace wsalloc::bench
