#include "bench/precision_blocks.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "bench/bench_comparisons.hpp"

namespace wsalloc::bench {

PrecisionBlocks::PrecisionBlocks(const RunOptions& opts, const RunPlan& plan) : opts_(opts) {
  for (const PlannedCase& pc : plan.cases) cases_left_ += applies(pc) ? 1 : 0;
  left_s_ = cases_left_ ? opts.precision_budget_s : 0;
}

bool PrecisionBlocks::applies(const PlannedCase& pc) const {
  if (opts_.max_blocks <= pc.repetitions || pc.scenario->kind == ScenarioKind::Idle) return false;
  return reference(pc.runnable) && !candidates(pc.runnable).empty();
}

const Target* PrecisionBlocks::reference(const std::vector<const Target*>& runnable) {
  for (const Target* t : runnable)
    if (t->name == "malloc") return t;
  return nullptr;
}

std::vector<const Target*> PrecisionBlocks::candidates(const std::vector<const Target*>& runnable) {
  std::vector<const Target*> out;
  for (const Target* t : runnable)
    if (t->kind == TargetKind::Variant && t->name != "malloc") out.push_back(t);
  return out;
}

double PrecisionBlocks::begin_case() { return cases_left_ ? left_s_ / static_cast<double>(cases_left_--) : 0; }

void PrecisionBlocks::end_case(double spent_s) { left_s_ = std::max(0.0, left_s_ - spent_s); }

std::vector<const Target*> PrecisionBlocks::next_block(const PlannedCase& pc, const std::vector<const Target*>& runnable,
                                                       const std::vector<RunRecord>& records, const std::vector<Target>& targets) {
  const Target* ref = reference(runnable);
  if (!ref) return {};
  std::vector<RunRecord> mine;
  for (const RunRecord& r : records)
    if (r.scenario == pc.scenario->name && r.case_name == pc.kase->name) mine.push_back(r);
  const std::vector<BenchComparison> cs = compare_targets(mine, targets);
  std::vector<const Target*> out;
  for (const Target* t : candidates(runnable)) {
    auto c = std::find_if(cs.begin(), cs.end(), [t](const BenchComparison& b) {
      return b.target == t->name && b.reference == "malloc" && b.metric == kPrecisionMetric;
    });
    if (c != cs.end() && relative_half_width(c->result) <= opts_.precision_target) continue;
    const auto needed = c == cs.end() ? std::nullopt : blocks_for_precision(c->result, opts_.precision_target);
    // Judged after one precision block at least: three blocks with one bad one overstate the spread.
    if (needed && *needed > opts_.max_blocks && c->result.blocks > pc.repetitions) {
      if (out_of_reach_.insert(pc.scenario->name + "/" + pc.kase->name + "/" + t->name).second) {
        fmt::print(stderr, "          precision: {} vs malloc is ±{:.1f} % after {} blocks; ±{:.0f} % would take about {} (> {}): left as is\n",
                   t->name, 100 * relative_half_width(c->result), c->result.blocks, 100 * opts_.precision_target, *needed,
                   opts_.max_blocks);
      }
      continue;
    }
    out.push_back(t);
  }
  if (!out.empty()) out.push_back(ref);
  return out;
}

}  // namespace wsalloc::bench
