#include "bench/compare/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include <fmt/core.h>

#include "bench/compare/distributions.hpp"
#include "bench/compare/split_mix.hpp"

namespace wsalloc::bench::compare {
namespace {

// Linear interpolation between order statistics (type 7, R's default). Partially reorders `v`
// (nth_element: O(n), where a sort of 2 million means would dominate the cost).
double quantile(std::vector<double>& v, double p) {
  const double h = p * double(v.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(h));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  const double below = v[i];
  if (i + 1 >= v.size()) return below;
  const double above = *std::min_element(v.begin() + i + 1, v.end());
  return below + (h - double(i)) * (above - below);
}

}  // namespace

double expanded_tail(size_t n, double confidence) {
  if (n < 2) throw std::invalid_argument(fmt::format("expanded_tail: {} value(s); an interval needs >= 2", n));
  if (!(confidence > 0 && confidence < 1)) {
    throw std::invalid_argument(fmt::format("expanded_tail: confidence {} outside (0, 1)", confidence));
  }
  const double alpha = 1 - confidence;
  const double t = student_t_quantile(1 - alpha / 2, double(n - 1));
  return normal_cdf(-std::sqrt(double(n) / double(n - 1)) * t);
}

Interval student_t_interval(std::span<const double> values, double confidence) {
  const size_t n = values.size();
  if (n < 2) throw std::invalid_argument(fmt::format("student_t_interval: {} value(s); an interval needs >= 2", n));
  double mean = 0;
  for (double v : values) mean += v / double(n);
  double ss = 0;
  for (double v : values) ss += (v - mean) * (v - mean);
  const double half = student_t_quantile(1 - (1 - confidence) / 2, double(n - 1)) * std::sqrt(ss / double(n - 1) / double(n));
  return {mean - half, mean + half};
}

Interval bootstrap_mean_interval(std::span<const double> values, double confidence, const BootstrapSettings& settings) {
  const size_t n = values.size();
  const double tail = expanded_tail(n, confidence);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) throw std::invalid_argument(fmt::format("bootstrap: value {} is {}", i, values[i]));
  }
  size_t resamples = settings.resamples;
  if (resamples == 0) {
    const double wanted = std::min(std::ceil(double(kTailSamples) / tail), double(kMaxResamples));
    resamples = std::max(size_t(wanted), kMinResamples);
  } else if (resamples < 100) {
    throw std::invalid_argument(fmt::format("bootstrap: {} resamples < 100", resamples));
  }
  if (std::all_of(values.begin(), values.end(), [&](double v) { return v == values[0]; })) {
    return {values[0], values[0]};
  }
  SplitMix64 rng(settings.seed);
  std::vector<double> means(resamples);
  for (double& m : means) {
    double sum = 0;
    for (size_t k = 0; k < n; ++k) sum += values[rng.below(n)];
    m = sum / double(n);
  }
  const double low = quantile(means, tail);
  const double high = quantile(means, 1 - tail);
  const Interval t_floor = student_t_interval(values, confidence);
  return {std::min(low, t_floor.low), std::max(high, t_floor.high)};
}

}  // namespace wsalloc::bench::compare
