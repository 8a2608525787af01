// Comparing a target with its reference over paired blocks: the one statistic of wsalloc.
//
// A *block* measures the target and its reference once each, close together in time (in a random
// order, see block_schedule.hpp), so whatever the machine did during the block (another build, a
// noisy neighbour, a frequency change) hits both. The block's *ratio* target/reference cancels it.
// Over blocks:
//   ratio     geometric mean of the per-block ratios (the mean of their logs, exponentiated):
//             ratios multiply, so 0.8 and 1.25 average to 1, as they should;
//   interval  bootstrap over blocks at `confidence` (bootstrap.hpp), on the logs, exponentiated;
//   verdict   Equivalent    the whole interval lies inside [1/(1+δ), 1+δ]: any difference is
//                           smaller than δ (checked first: "significant but negligible" is equivalent)
//             Slower/Faster the whole interval lies on one side of 1 (the metric's direction says
//                           which side is "faster": less CPU per message, more messages per second)
//             Inconclusive  neither; `more_blocks` estimates how many more blocks would settle it
//                           (the interval narrows as 1/√blocks; the point estimate is assumed to stay).
// With fewer than 2 blocks there is no interval: Inconclusive, and no estimate.
//
// The gate asks a different question of the same interval (against_limit): does the whole
// interval lie beyond a limit such as "10 % more CPU per message"?
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bench/compare/bootstrap.hpp"

namespace wsalloc::bench::compare {

enum class Direction : uint8_t { LowerIsBetter, HigherIsBetter };

enum class Verdict : uint8_t { Faster, Slower, Equivalent, Inconclusive };
std::string_view to_string(Verdict v) noexcept;

// One paired measurement. Both values must be positive and finite.
struct Block {
  double target = 0;
  double reference = 0;
};

struct CompareSettings {
  double confidence = 0.95;
  double delta = 0.05;  // equivalence margin, relative: 0.05 = within ±5 % (in ratio terms, 1/1.05..1.05)
  Direction direction = Direction::LowerIsBetter;
  BootstrapSettings bootstrap;
};

struct Comparison {
  double ratio = 0;                 // geometric mean of target/reference over blocks
  std::optional<Interval> ci;       // absent with fewer than 2 blocks
  size_t blocks = 0;
  double confidence = 0;
  double delta = 0;
  Direction direction = Direction::LowerIsBetter;
  Verdict verdict = Verdict::Inconclusive;
  std::optional<size_t> more_blocks;  // Inconclusive with an interval: estimated blocks to add
};

// Throws std::invalid_argument naming the block (index and value) when a value is not positive
// and finite, or when there are no blocks at all, or when confidence/delta are out of range.
Comparison compare_blocks(std::span<const Block> blocks, const CompareSettings& settings = {});
Comparison compare_ratios(std::span<const double> ratios, const CompareSettings& settings = {});

// Where the interval lies relative to the worst acceptable ratio `limit` (lower-is-better: 1.10 =
// at most 10 % more; higher-is-better: 0.90 = at most 10 % less).
enum class LimitVerdict : uint8_t {
  Beyond,     // the whole interval is worse than the limit
  Within,     // the whole interval is at or better than the limit
  Straddles,  // the interval contains the limit (or there is no interval)
};
std::string_view to_string(LimitVerdict v) noexcept;
LimitVerdict against_limit(const Comparison& c, double limit);
// Straddles: estimated blocks to add until the interval clears the limit on one side; nullopt
// without an interval or when it does not straddle.
std::optional<size_t> more_blocks_for_limit(const Comparison& c, double limit);

// Blocks needed for an interval of log-half-width `half_width` measured over `blocks` to shrink to
// `wanted`: blocks · (half_width / wanted)², rounded up; capped at kMaxBlocksEstimate.
inline constexpr size_t kMaxBlocksEstimate = 100'000;
size_t blocks_needed(size_t blocks, double half_width, double wanted);

// "1.023 [0.998, 1.049] 95 %, 10 blocks: inconclusive (about 6 more blocks)"
std::string describe(const Comparison& c);

}  // namespace wsalloc::bench::compare
