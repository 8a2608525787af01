#include "bench/bimodal.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "bench/aggregate.hpp"

namespace wsalloc::bench {
namespace {

Cluster cluster_of(const std::vector<double>& sorted, size_t begin, size_t end) {
  const std::vector<double> part(sorted.begin() + static_cast<std::ptrdiff_t>(begin),
                                 sorted.begin() + static_cast<std::ptrdiff_t>(end));
  const Spread s = *spread_of(part);
  return Cluster{s.median, s.min, s.max, s.n};
}

// Three significant figures, with k/M for thousands and millions (the summary table's style).
std::string short_number(double v) {
  if (v >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.3g}k", v / 1e3);
  return fmt::format("{:.3g}", v);
}

}  // namespace

std::optional<Bimodal> find_bimodal(std::vector<double> values) {
  std::erase_if(values, [](double v) { return !(v > 0); });
  const size_t n = values.size();
  if (n < 3) return std::nullopt;
  std::sort(values.begin(), values.end());
  size_t split = 0;  // the high cluster starts here
  double widest = 0;
  for (size_t i = 1; i < n; ++i) {
    const double gap = std::log(values[i]) - std::log(values[i - 1]);
    if (gap > widest) widest = gap, split = i;
  }
  const size_t smaller = std::min(split, n - split);
  if (smaller < 2 && !(smaller == 1 && n <= 3)) return std::nullopt;
  const double low_range = std::log(values[split - 1]) - std::log(values[0]);
  const double high_range = std::log(values[n - 1]) - std::log(values[split]);
  if (widest < kGapOverSpread * std::max(low_range, high_range)) return std::nullopt;
  Bimodal b{cluster_of(values, 0, split), cluster_of(values, split, n)};
  if (b.high.median < kBimodalRatio * b.low.median) return std::nullopt;
  return b;
}

std::string describe(const Bimodal& b) {
  auto one = [](const Cluster& c) {
    if (c.runs == 1) return fmt::format("1 run at {}", short_number(c.median));
    return fmt::format("{} runs at {} ({}-{})", c.runs, short_number(c.median), short_number(c.min),
                       short_number(c.max));
  };
  return one(b.low) + ", " + one(b.high);
}

}  // namespace wsalloc::bench
