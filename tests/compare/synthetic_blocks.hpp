// Synthetic paired blocks with a known true ratio, for the comparison tests: each block draws a
// shared disturbance (the machine's state during the block, hitting both sides) and independent
// per-run noise, log-normal, so the true geometric-mean ratio is exactly `true_ratio`.
#pragma once

#include <cmath>
#include <vector>

#include "bench/compare/comparison.hpp"
#include "bench/compare/split_mix.hpp"

namespace wsalloc::bench::compare::testing {

inline double standard_normal(SplitMix64& rng) {  // Box-Muller; one of the pair is enough here
  const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

struct Noise {
  double shared = 0.20;   // σ of log of the block's common factor (the noisy machine: ±20 %)
  double per_run = 0.04;  // σ of log of each run's own noise
  double outlier_rate = 0;   // fraction of runs hit by an extra slowdown
  double outlier_factor = 1.3;
};

inline std::vector<Block> synthetic_blocks(size_t n, double true_ratio, uint64_t seed, const Noise& noise = {}) {
  SplitMix64 rng(seed);
  std::vector<Block> blocks;
  for (size_t i = 0; i < n; ++i) {
    const double shared = std::exp(noise.shared * standard_normal(rng));
    auto run = [&] {
      double v = std::exp(noise.per_run * standard_normal(rng));
      if (noise.outlier_rate > 0 && rng.uniform() < noise.outlier_rate) v *= noise.outlier_factor;
      return v;
    };
    const double ref = 1000.0 * shared * run();
    const double target = 1000.0 * true_ratio * shared * run();
    blocks.push_back(Block{target, ref});
  }
  return blocks;
}

}  // namespace wsalloc::bench::compare::testing
