#include "bench/bench_comparisons.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include <fmt/core.h>

#include "bench/compare/distributions.hpp"
#include "bench/json_optional.hpp"

namespace wsalloc::bench {
namespace {

using compare::Direction;

struct MetricSpec {
  const char* name;
  Direction direction;
};
constexpr MetricSpec kMetrics[] = {{"server_cpu_us_per_msg", Direction::LowerIsBetter},
                                   {"msgs_per_sec", Direction::HigherIsBetter},
                                   {"rss_per_conn_bytes", Direction::LowerIsBetter},
                                   {"latency_p99_us", Direction::LowerIsBetter}};

bool is_repeat(const RunRecord& r) { return has_flag(r, kReferenceRepeat); }

std::string a_prime(const std::string& reference) { return reference + " (A′)"; }

// (scenario, case, target name as compared, repetition) -> record
using Key = std::tuple<std::string, std::string, std::string, uint32_t>;

}  // namespace

double relative_half_width(const compare::Comparison& c) noexcept {
  if (!c.ci || !(c.ratio > 0)) return std::numeric_limits<double>::infinity();
  return (c.ci->high - c.ci->low) / 2 / c.ratio;
}

std::optional<size_t> blocks_for_precision(const compare::Comparison& c, double target) noexcept {
  const double hw = relative_half_width(c);
  if (!std::isfinite(hw) || !(target > 0) || c.blocks < 2) return std::nullopt;
  if (hw <= target) return c.blocks;
  // The half-width goes as t(n-1) / sqrt(n): with few blocks Student's t shrinks too, so 3 blocks
  // at ±10 % need 8, not 12. Capped: past kMaxEstimate the answer is "many".
  constexpr size_t kMaxEstimate = 1000;
  const double p = 0.5 + c.confidence / 2;
  const double now = compare::student_t_quantile(p, double(c.blocks - 1)) / std::sqrt(double(c.blocks));
  for (size_t n = c.blocks + 1; n <= kMaxEstimate; ++n) {
    const double then = compare::student_t_quantile(p, double(n - 1)) / std::sqrt(double(n));
    if (hw * then / now <= target) return n;
  }
  return kMaxEstimate;
}

std::vector<std::string> references_of(const Target& t) {
  std::vector<std::string> out;
  if ((t.kind == TargetKind::Variant || t.kind == TargetKind::Allocator) && t.name != "malloc") out.push_back("malloc");
  if ((t.kind == TargetKind::Variant || t.kind == TargetKind::Peer) && t.name != "rawecho") out.push_back("rawecho");
  return out;
}

std::string repeated_reference(const std::vector<const Target*>& runnable) {
  for (const char* ref : {"malloc", "rawecho"})
    for (const Target* t : runnable)
      if (t->name == ref) return ref;
  return "";
}

namespace {

// The blocks of one (case, target, reference, metric) from fresh-server records: the target's
// value against the reference's in the same repetition.
std::vector<compare::Block> fresh_blocks(const std::map<Key, const RunRecord*>& by_key, const std::string& scenario,
                                         const std::string& case_name, const std::string& target, const std::string& reference,
                                         const MetricSpec& spec) {
  std::vector<compare::Block> blocks;
  for (const auto& [key, rec] : by_key) {
    if (std::get<0>(key) != scenario || std::get<1>(key) != case_name || std::get<2>(key) != target) continue;
    auto ref = by_key.find({scenario, case_name, reference, std::get<3>(key)});
    if (ref == by_key.end()) continue;
    // RSS per connection is the headline of idle cases only (elsewhere it mixes in buffers in flight).
    if (std::string_view(spec.name) == "rss_per_conn_bytes" && rec->metrics.has("msgs_per_sec")) continue;
    // Latency compares only at one offered rate (open loop); closed loop it follows throughput.
    if (std::string_view(spec.name) == "latency_p99_us" && !rec->metrics.has("offered_rate")) continue;
    const auto a = rec->metrics.get(spec.name), b = ref->second->metrics.get(spec.name);
    if (a && b && *a > 0 && *b > 0) blocks.push_back({*a, *b});
  }
  return blocks;
}

// The precision rounds' blocks of a variant against malloc: in each round, the variant against the
// geometric mean of the malloc runs just before and after it (round_slot ± 1), so a drift cancels.
// A round's first variant may be bracketed by the previous round's closing malloc run (a chained
// round, precision_blocks.hpp): slots number the case's chain, so it is slot − 1 there.
// `rounds`: each round's measured runs by (scenario, case, round), any order.
using RoundKey = std::tuple<std::string, std::string, uint32_t>;
std::vector<compare::Block> held_blocks(const std::map<RoundKey, std::vector<const RunRecord*>>& rounds, const std::string& scenario,
                                        const std::string& case_name, const std::string& target) {
  std::vector<compare::Block> blocks;
  for (const auto& [key, runs] : rounds) {
    if (std::get<0>(key) != scenario || std::get<1>(key) != case_name) continue;
    auto in = [](const std::vector<const RunRecord*>& round, uint32_t slot) -> std::optional<double> {
      for (const RunRecord* r : round)
        if (r->round_slot == slot && r->target == "malloc") return r->metrics.get(kPrecisionMetric);
      return std::nullopt;
    };
    const auto previous = rounds.find({scenario, case_name, std::get<2>(key) - 1});
    auto before_of = [&](uint32_t slot) {
      const auto here = in(runs, slot);
      return here || previous == rounds.end() ? here : in(previous->second, slot);
    };
    for (const RunRecord* r : runs) {
      if (r->target != target || r->round_slot < 2) continue;
      const auto v = r->metrics.get(kPrecisionMetric), before = before_of(r->round_slot - 1), after = in(runs, r->round_slot + 1);
      if (v && before && after && *v > 0 && *before > 0 && *after > 0) blocks.push_back({*v, std::sqrt(*before * *after)});
    }
  }
  return blocks;
}

}  // namespace

std::vector<BenchComparison> compare_targets(const std::vector<RunRecord>& records, const std::vector<Target>& targets) {
  std::map<Key, const RunRecord*> by_key;
  std::map<RoundKey, std::vector<const RunRecord*>> held;  // the precision rounds' runs
  std::vector<std::pair<std::string, std::string>> cases;  // first-appearance order
  for (const RunRecord& r : records) {
    if (r.pass != RunPass::Time || r.repetition == 0 || !status_has_measurement(r.status)) continue;
    if (has_flag(r, kHeldRound)) {
      held[{r.scenario, r.case_name, r.repetition}].push_back(&r);
    } else {
      by_key[{r.scenario, r.case_name, is_repeat(r) ? a_prime(r.target) : r.target, r.repetition}] = &r;
    }
    if (std::find(cases.begin(), cases.end(), std::make_pair(r.scenario, r.case_name)) == cases.end())
      cases.emplace_back(r.scenario, r.case_name);
  }
  // Pairs: every target with its references, and each reference's A′ with the reference.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const Target& t : targets) {
    for (const std::string& ref : references_of(t)) pairs.emplace_back(t.name, ref);
    if (t.name == "malloc" || t.name == "rawecho") pairs.emplace_back(a_prime(t.name), t.name);
  }
  std::vector<BenchComparison> out;
  for (const auto& [scenario, case_name] : cases) {
    for (const auto& [target, reference] : pairs) {
      for (const MetricSpec& spec : kMetrics) {
        // A variant's server CPU against malloc comes from the precision rounds when it had them.
        std::vector<compare::Block> blocks;
        if (reference == "malloc" && target != a_prime(reference) && std::string_view(spec.name) == kPrecisionMetric)
          blocks = held_blocks(held, scenario, case_name, target);
        const bool from_rounds = !blocks.empty();
        if (!from_rounds) blocks = fresh_blocks(by_key, scenario, case_name, target, reference, spec);
        if (blocks.empty()) continue;
        compare::CompareSettings s;
        s.confidence = kBenchConfidence;
        s.delta = kBenchDelta;
        s.direction = spec.direction;
        out.push_back({scenario, case_name, target, reference, spec.name, compare::compare_blocks(blocks, s), from_rounds});
      }
    }
  }
  return out;
}

PrecisionSummary summarise_precision(const std::vector<BenchComparison>& cs, const std::vector<Target>& targets,
                                     double target_half_width) {
  PrecisionSummary p;
  p.target_half_width = target_half_width;
  std::vector<size_t> blocks;
  for (const BenchComparison& c : cs) {
    if (c.reference != "malloc" || c.metric != kPrecisionMetric) continue;
    auto t = std::find_if(targets.begin(), targets.end(), [&c](const Target& x) { return x.name == c.target; });
    if (t == targets.end() || t->kind != TargetKind::Variant) continue;
    ++p.comparisons;
    if (relative_half_width(c.result) <= target_half_width) ++p.within;
    blocks.push_back(c.result.blocks);
  }
  if (!blocks.empty()) {
    std::sort(blocks.begin(), blocks.end());
    p.min_blocks = blocks.front();
    p.max_blocks = blocks.back();
    const size_t n = blocks.size();
    p.median_blocks = n % 2 ? double(blocks[n / 2]) : (double(blocks[n / 2 - 1]) + double(blocks[n / 2])) / 2;
  }
  return p;
}

nlohmann::json PrecisionSummary::to_json() const {
  return {{"metric", kPrecisionMetric},     {"reference", "malloc"},         {"target_half_width", target_half_width},
          {"comparisons", comparisons},     {"within", within},              {"min_blocks", min_blocks},
          {"median_blocks", median_blocks}, {"max_blocks", max_blocks}};
}

std::string PrecisionSummary::render() const {
  if (comparisons == 0) return "";
  return fmt::format("\nPrecision: {} of {} variant comparisons with malloc ({}) have a 95 % interval within ±{:.0f} % "
                     "({:.0f} %); blocks per comparison {}-{}, median {:.0f}\n",
                     within, comparisons, kPrecisionMetric, 100 * target_half_width,
                     100.0 * double(within) / double(comparisons), min_blocks, max_blocks, median_blocks);
}

nlohmann::json comparisons_json(const std::vector<BenchComparison>& cs) {
  nlohmann::json arr = nlohmann::json::array();
  for (const BenchComparison& c : cs) {
    const compare::Comparison& r = c.result;
    arr.push_back({{"scenario", c.scenario},
                   {"case", c.case_name},
                   {"target", c.target},
                   {"reference", c.reference},
                   {"metric", c.metric},
                   {"ratio", r.ratio},
                   {"ci_low", r.ci ? nlohmann::json(r.ci->low) : nlohmann::json(nullptr)},
                   {"ci_high", r.ci ? nlohmann::json(r.ci->high) : nlohmann::json(nullptr)},
                   {"blocks", r.blocks},
                   {"verdict", std::string(compare::to_string(r.verdict))},
                   {"confidence", r.confidence},
                   {"delta", r.delta},
                   {"more_blocks", optional_json(r.more_blocks)},
                   {"servers", c.held_servers ? "held" : "fresh"}});
  }
  return arr;
}

std::string render_comparisons(const std::vector<BenchComparison>& cs) {
  if (cs.empty()) return "";
  std::string out = fmt::format(
      "\nComparisons (target / reference, geometric mean of per-block ratios, {:.0f} % bootstrap interval; "
      "equivalent = inside ±{:.0f} %):\n",
      100 * kBenchConfidence, 100 * kBenchDelta);
  std::string last;
  for (const BenchComparison& c : cs) {
    const std::string id = c.case_name == "default" ? c.scenario : c.scenario + "/" + c.case_name;
    if (id != last) out += fmt::format("  {}\n", id);
    last = id;
    out += fmt::format("    {:<22} vs {:<8} {:<22} {}{}\n", c.target, c.reference, c.metric, compare::describe(c.result),
                       c.held_servers ? " [precision rounds]" : "");
  }
  return out;
}

}  // namespace wsalloc::bench
