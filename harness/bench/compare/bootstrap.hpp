// A bootstrap confidence interval for the mean of a few values (the logs of per-block ratios).
//
// Method: the *expanded percentile* bootstrap (Hesterberg 2015, "What teachers should know about
// the bootstrap", section 6), never narrower than Student's t.
//  - The plain percentile interval behaves like mean ± z·s/√n: with the 5–16 blocks a session
//    affords it is too narrow (a nominal 95 % covered 88 % at n = 8 in our simulation), which is
//    exactly a gate that goes red by chance. Expanding it takes the percentiles at α' instead of α,
//    with z_{α'/2} = √(n/(n−1)) · t_{α/2, n−1}, so it is as wide as t asks while keeping the
//    bootstrap's shape (skewed ratios give a skewed interval).
//  - Even expanded, a bootstrap of few values undercovers when a few runs are outliers (95 %
//    covered 92 % at n = 10 with one run in ten 30 % off), and at 99 % with 8 blocks its tails
//    (0.009 %) lie where the resampled means run out ([min, max] of the data bounds them). So each
//    end is pushed out, where needed, to mean ± t_{α/2,n−1}·s/√n. Measured over 1000 simulated
//    sessions per case (tests/compare), coverage is then at or above the nominal level for
//    n = 5..16 at 95 % and 99 %, with and without outliers.
//
// Deterministic: the same values, level and seed give the same interval on every machine
// (split_mix.hpp). Cost: resamples × n additions, a few milliseconds.
//
// Small n at a high level: the expanded tail is tiny (99 % with 8 blocks: 0.009 % each side); the
// t floor then sets the width. Use at least 8 blocks for 99 % all the same: below that a 99 %
// interval is too wide to decide much.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace wsalloc::bench::compare {

struct BootstrapSettings {
  // 0 = enough that each tail holds kTailSamples resamples (at least kMinResamples, at most
  // kMaxResamples): 99 % with 8 blocks takes ~540 000, 95 % with 10 blocks 20 000.
  size_t resamples = 0;
  uint64_t seed = 0x14;
};

inline constexpr size_t kMinResamples = 20'000, kMaxResamples = 2'000'000, kTailSamples = 50;

struct Interval {
  double low = 0;
  double high = 0;
};

// The interval for the mean of `values` at `confidence` (e.g. 0.95). Needs n >= 2 finite values
// and 0 < confidence < 1; throws std::invalid_argument naming the offending input otherwise.
// All values equal: the interval is that value, zero wide.
Interval bootstrap_mean_interval(std::span<const double> values, double confidence,
                                 const BootstrapSettings& settings = {});

// The percentile level (each side) the expanded interval uses for n values: α'/2 above.
double expanded_tail(size_t n, double confidence);

// mean ± t_{α/2,n−1}·s/√n: the floor of the interval above (n >= 2).
Interval student_t_interval(std::span<const double> values, double confidence);

}  // namespace wsalloc::bench::compare
