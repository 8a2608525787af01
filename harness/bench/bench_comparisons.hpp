// `wsbench run`'s comparisons: every target against its reference, over the run's blocks.
//
// A block is one repetition of a (scenario, case): every runnable target once, in a fresh random
// order, plus the first reference a second time (A′, flagged kReferenceRepeat) at a random place,
// so the run measures its own noise floor: "malloc (A′)" against malloc must come out equivalent.
// References: the malloc variant for the other variants and the allocator targets; the raw TCP
// echo (rawecho) for the peers and the variants. Per (case, target, reference, metric) the blocks
// where both have the metric give compare_blocks() (compare/comparison.hpp): the geometric mean of
// per-block ratios, a bootstrap interval at kBenchConfidence and a verdict (±kBenchDelta =
// equivalent). Metrics: server CPU per message (lower is better), msgs/s (higher is better), for
// idle cases RSS per connection, and for open-loop cases (one offered rate) p99 latency (both
// lower is better).
// A variant's server CPU per message against malloc comes from the case's precision rounds when it
// had them (precision_blocks.hpp: held servers, malloc between the variants): per round, the
// variant against the geometric mean of the malloc runs before and after it. Every other
// comparison, and A′'s, uses the blocks of fresh servers only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/compare/comparison.hpp"
#include "bench/run_record.hpp"
#include "bench/targets.hpp"

namespace wsalloc::bench {

inline constexpr double kBenchConfidence = 0.95;
inline constexpr double kBenchDelta = 0.05;
// The metric whose precision the bench's extra blocks pursue (RunOptions::max_blocks).
inline constexpr std::string_view kPrecisionMetric = "server_cpu_us_per_msg";

struct BenchComparison {
  std::string scenario, case_name, target, reference, metric;
  compare::Comparison result;
  bool held_servers = false;  // from the precision rounds (results.json "servers": "held", else "fresh")
};

// The interval's half-width relative to the ratio ((high - low) / 2 / ratio): 0.05 = ±5 %.
// Infinite without an interval.
double relative_half_width(const compare::Comparison& c) noexcept;

// Blocks in all that the interval would need to shrink to ±target: it narrows as t(n-1)/sqrt(n)
// (Student's t at the comparison's confidence; the spread of the per-block ratios is assumed to
// stay). The blocks it has when it is already there; nullopt without an interval.
std::optional<size_t> blocks_for_precision(const compare::Comparison& c, double target) noexcept;

// The references a target is compared with (none for the references of its own kind).
std::vector<std::string> references_of(const Target& t);
// The reference run twice per block: malloc when it runs, else rawecho, else none ("").
std::string repeated_reference(const std::vector<const Target*>& runnable);

std::vector<BenchComparison> compare_targets(const std::vector<RunRecord>& records, const std::vector<Target>& targets);

// How precise the run's variant comparisons came out (issue 14's target: >= 80 % of them within
// ±5 %): every variant's kPrecisionMetric ratio to malloc, per case.
struct PrecisionSummary {
  double target_half_width = kBenchDelta;
  size_t comparisons = 0;   // variant vs malloc, kPrecisionMetric, one per case and variant
  size_t within = 0;        // of those, with an interval no wider than ±target_half_width
  size_t min_blocks = 0, max_blocks = 0;
  double median_blocks = 0;
  nlohmann::json to_json() const;
  std::string render() const;  // one terminal line; "" without comparisons
};
PrecisionSummary summarise_precision(const std::vector<BenchComparison>& cs, const std::vector<Target>& targets,
                                     double target_half_width);

// The `comparisons` array of results.json: scenario, case, target, reference, metric, ratio,
// ci_low, ci_high, blocks, verdict (+ confidence, delta, more_blocks).
nlohmann::json comparisons_json(const std::vector<BenchComparison>& cs);
// The terminal section: one line per comparison, grouped by case.
std::string render_comparisons(const std::vector<BenchComparison>& cs);

}  // namespace wsalloc::bench
