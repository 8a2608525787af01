#include "bench/precision_blocks.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "bench/bench_comparisons.hpp"

namespace wsalloc::bench {

LoadSpec round_load(LoadSpec l, bool first_round) {
  const double window = l.rate > 0 ? std::max(kRoundWindowS, kRoundMinSends / l.rate) : kRoundWindowS;
  l.duration_s = std::min(l.duration_s, window);
  if (!first_round) l.warmup_s = std::min(l.warmup_s, kRoundWarmupS);
  return l;
}

std::optional<std::string> bracket_broken(double before, double after) {
  if (!(before > 0) || !(after > 0)) return "a malloc run around it has no server CPU per message";
  const double ratio = after / before;
  if (std::fabs(ratio - 1) <= kBracketLimit) return std::nullopt;
  return fmt::format("malloc after it against malloc before it: x{:.3f} (limit ±{:.0f} %): the machine changed speed inside the block",
                     ratio, 100 * kBracketLimit);
}

std::vector<const Target*> round_order(const Target* reference, const std::vector<const Target*>& variants, bool chained) {
  std::vector<const Target*> order;
  if (!chained) order.push_back(reference);
  for (const Target* v : variants) {
    order.push_back(v);
    order.push_back(reference);
  }
  return order;
}

namespace {

std::vector<double> probes_of(const RunRecord& r) {
  std::vector<double> out;
  if (r.disturbance) {
    for (const auto& p : {r.disturbance->probe_before_ms, r.disturbance->probe_after_ms})
      if (p && *p > 0) out.push_back(*p);
  }
  return out;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

std::optional<double> slowdown_against_bracket(const RunRecord& variant, const RunRecord& before, const RunRecord& after) {
  const std::vector<double> mine = probes_of(variant);
  std::vector<double> around = probes_of(before);
  for (double p : probes_of(after)) around.push_back(p);
  if (mine.empty() || around.empty()) return std::nullopt;
  return *std::max_element(mine.begin(), mine.end()) / median_of(std::move(around));
}

void judge_round(std::vector<RunRecord>& round, const DisturbanceLimits& limits) {
  auto disturb = [](RunRecord& r, const std::string& why) {
    r.status = RunStatus::Disturbed;
    r.reason = why;
    fmt::print(stderr, "          {} left out of the round: {}\n", r.target, why);
  };
  for (size_t i = 0; i < round.size(); ++i) {
    RunRecord& r = round[i];
    const bool variant = i % 2 == 1;
    if (variant && i + 1 < round.size() && r.disturbance) {
      if (const auto slow = slowdown_against_bracket(r, round[i - 1], round[i + 1])) {
        r.disturbance->core_slowdown = *slow;
        r.disturbance->slowdown_against_bracket = true;
      }
    }
    if (r.pass != RunPass::Time || !status_has_measurement(r.status) || !r.disturbance) continue;
    const auto why = disturbed_because(*r.disturbance, limits);
    if (!why) continue;
    if (variant) {
      disturb(r, *why);
    } else {
      r.flags.push_back("disturbance (judged by the bracket): " + *why);
    }
  }
  for (size_t i = 1; i < round.size(); i += 2) {
    RunRecord& v = round[i];
    if (!status_has_measurement(v.status)) continue;
    if (i + 1 == round.size()) {
      disturb(v, "no malloc run after it (the round was cut short)");
      continue;
    }
    const RunRecord &before = round[i - 1], &after = round[i + 1];
    if (!status_has_measurement(before.status) || !status_has_measurement(after.status)) {
      disturb(v, "a malloc run around it was not measured");
    } else if (auto why = bracket_broken(before.metrics.get(kPrecisionMetric).value_or(0), after.metrics.get(kPrecisionMetric).value_or(0))) {
      disturb(v, *why);
    }
  }
}

PrecisionBlocks::PrecisionBlocks(const RunOptions& opts, const RunPlan& plan) : opts_(opts) {
  for (const PlannedCase& pc : plan.cases) cases_left_ += applies(pc) ? 1 : 0;
  left_s_ = cases_left_ ? opts.precision_budget_s : 0;
}

bool PrecisionBlocks::applies(const PlannedCase& pc) const {
  if (opts_.max_blocks == 0 || pc.scenario->kind == ScenarioKind::Idle) return false;
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
    if (t->kind == TargetKind::Variant && t->name != "malloc" && !t->external()) out.push_back(t);
  return out;
}

double PrecisionBlocks::begin_case() { return cases_left_ ? left_s_ / static_cast<double>(cases_left_--) : 0; }

void PrecisionBlocks::end_case(double spent_s) { left_s_ = std::max(0.0, left_s_ - spent_s); }

std::vector<const Target*> PrecisionBlocks::next_round(const PlannedCase& pc, const std::vector<const Target*>& runnable,
                                                       const std::vector<RunRecord>& records, const std::vector<Target>& targets) {
  if (!reference(runnable)) return {};
  std::vector<RunRecord> mine;
  for (const RunRecord& r : records)
    if (r.scenario == pc.scenario->name && r.case_name == pc.kase->name && has_flag(r, kHeldRound)) mine.push_back(r);
  const std::vector<BenchComparison> cs = compare_targets(mine, targets);
  std::vector<const Target*> out;
  for (const Target* t : candidates(runnable)) {
    auto c = std::find_if(cs.begin(), cs.end(), [t](const BenchComparison& b) {
      return b.target == t->name && b.reference == "malloc" && b.metric == kPrecisionMetric && b.held_servers;
    });
    if (c == cs.end()) {  // no round of it yet
      out.push_back(t);
      continue;
    }
    if (c->result.blocks >= opts_.max_blocks) continue;
    if (c->result.blocks >= kMinRounds && relative_half_width(c->result) <= opts_.precision_target) continue;
    const auto needed = blocks_for_precision(c->result, opts_.precision_target);
    // Judged after a few rounds: with two, Student's t makes any spread look hopeless.
    if (needed && *needed > opts_.max_blocks && c->result.blocks >= kRoundsBeforeGivingUp) {
      if (out_of_reach_.insert(pc.scenario->name + "/" + pc.kase->name + "/" + t->name).second) {
        fmt::print(stderr, "          precision: {} vs malloc is ±{:.1f} % after {} blocks; ±{:.0f} % would take about {} (> {}): left as is\n",
                   t->name, 100 * relative_half_width(c->result), c->result.blocks, 100 * opts_.precision_target, *needed,
                   opts_.max_blocks);
      }
      continue;
    }
    out.push_back(t);
  }
  return out;
}

}  // namespace wsalloc::bench
