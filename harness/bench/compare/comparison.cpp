#include "bench/compare/comparison.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

#include <fmt/core.h>

namespace wsalloc::bench::compare {
namespace {

void check_settings(const CompareSettings& s) {
  if (!(s.confidence > 0 && s.confidence < 1)) {
    throw std::invalid_argument(fmt::format("compare: confidence {} outside (0, 1)", s.confidence));
  }
  if (!(s.delta > 0 && s.delta < 1)) throw std::invalid_argument(fmt::format("compare: delta {} outside (0, 1)", s.delta));
}

double log_half_width(const Interval& ci) { return (std::log(ci.high) - std::log(ci.low)) / 2; }

Verdict judge(const Interval& ci, double delta, Direction direction) {
  if (ci.low >= 1 / (1 + delta) && ci.high <= 1 + delta) return Verdict::Equivalent;
  const bool more = ci.low > 1, less = ci.high < 1;
  if (!more && !less) return Verdict::Inconclusive;
  const bool better = direction == Direction::LowerIsBetter ? less : more;
  return better ? Verdict::Faster : Verdict::Slower;
}

// The easier of the two ways to settle: an interval clear of 1 (half-width below |m|) or one
// inside ±δ (half-width below log(1+δ) − |m|).
size_t more_to_settle(size_t n, const Interval& ci, double ratio, double delta) {
  const double m = std::fabs(std::log(ratio));
  const double wanted = std::max(m, std::log1p(delta) - m);
  const size_t needed = blocks_needed(n, log_half_width(ci), wanted);
  return needed > n ? needed - n : 1;
}

}  // namespace

std::string_view to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::Faster: return "faster";
    case Verdict::Slower: return "slower";
    case Verdict::Equivalent: return "equivalent";
    case Verdict::Inconclusive: return "inconclusive";
  }
  return "?";
}

std::string_view to_string(LimitVerdict v) noexcept {
  switch (v) {
    case LimitVerdict::Beyond: return "beyond";
    case LimitVerdict::Within: return "within";
    case LimitVerdict::Straddles: return "straddles";
  }
  return "?";
}

size_t blocks_needed(size_t blocks, double half_width, double wanted) {
  if (!(half_width > 0)) return blocks;  // already exact
  if (!(wanted > 0)) return kMaxBlocksEstimate;
  const double n = double(blocks) * (half_width / wanted) * (half_width / wanted);
  return n >= double(kMaxBlocksEstimate) ? kMaxBlocksEstimate : size_t(std::ceil(n));
}

Comparison compare_ratios(std::span<const double> ratios, const CompareSettings& settings) {
  check_settings(settings);
  if (ratios.empty()) throw std::invalid_argument("compare: no blocks");
  std::vector<double> logs;
  logs.reserve(ratios.size());
  for (size_t i = 0; i < ratios.size(); ++i) {
    if (!(ratios[i] > 0) || !std::isfinite(ratios[i])) {
      throw std::invalid_argument(fmt::format("compare: block {}: ratio {} is not a positive finite number", i, ratios[i]));
    }
    logs.push_back(std::log(ratios[i]));
  }
  double sum = 0;
  for (double l : logs) sum += l;
  Comparison c;
  c.ratio = std::exp(sum / double(logs.size()));
  c.blocks = logs.size();
  c.confidence = settings.confidence;
  c.delta = settings.delta;
  c.direction = settings.direction;
  if (logs.size() < 2) return c;  // Inconclusive, no interval, no estimate
  const Interval l = bootstrap_mean_interval(logs, settings.confidence, settings.bootstrap);
  c.ci = Interval{std::exp(l.low), std::exp(l.high)};
  c.verdict = judge(*c.ci, settings.delta, settings.direction);
  if (c.verdict == Verdict::Inconclusive) c.more_blocks = more_to_settle(c.blocks, *c.ci, c.ratio, settings.delta);
  return c;
}

Comparison compare_blocks(std::span<const Block> blocks, const CompareSettings& settings) {
  std::vector<double> ratios;
  ratios.reserve(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    for (auto [name, v] : {std::pair{"target", blocks[i].target}, std::pair{"reference", blocks[i].reference}}) {
      if (!(v > 0) || !std::isfinite(v)) {
        throw std::invalid_argument(fmt::format("compare: block {}: {} {} is not a positive finite number", i, name, v));
      }
    }
    ratios.push_back(blocks[i].target / blocks[i].reference);
  }
  return compare_ratios(ratios, settings);
}

LimitVerdict against_limit(const Comparison& c, double limit) {
  if (!c.ci) return LimitVerdict::Straddles;
  if (c.direction == Direction::LowerIsBetter) {  // e.g. limit 1.10: at most 10 % more CPU
    if (c.ci->low > limit) return LimitVerdict::Beyond;
    return c.ci->high <= limit ? LimitVerdict::Within : LimitVerdict::Straddles;
  }
  if (c.ci->high < limit) return LimitVerdict::Beyond;  // e.g. limit 0.90: at most 10 % fewer msgs/s
  return c.ci->low >= limit ? LimitVerdict::Within : LimitVerdict::Straddles;
}

std::optional<size_t> more_blocks_for_limit(const Comparison& c, double limit) {
  if (!c.ci || against_limit(c, limit) != LimitVerdict::Straddles) return std::nullopt;
  const size_t needed = blocks_needed(c.blocks, log_half_width(*c.ci), std::fabs(std::log(c.ratio / limit)));
  return needed > c.blocks ? needed - c.blocks : 1;
}

std::string describe(const Comparison& c) {
  std::string out = fmt::format("{:.3f}", c.ratio);
  if (c.ci) {
    out += fmt::format(" [{:.3f}, {:.3f}] {:g} %", c.ci->low, c.ci->high, c.confidence * 100);
  } else {
    out += " (no interval)";
  }
  out += fmt::format(", {} block{}: {}", c.blocks, c.blocks == 1 ? "" : "s", to_string(c.verdict));
  if (c.verdict == Verdict::Equivalent) out += fmt::format(" (±{:g} %)", c.delta * 100);
  if (c.more_blocks) {
    out += *c.more_blocks >= kMaxBlocksEstimate ? fmt::format(" (more than {} more blocks)", kMaxBlocksEstimate)
                                                : fmt::format(" (about {} more blocks)", *c.more_blocks);
  }
  return out;
}

}  // namespace wsalloc::bench::compare
