// The A/B session judged: one table row per variant, "ab_cpu_per_msg/<variant>".
//
// Per variant: the geometric mean of candidate/base server CPU per message over the paired blocks,
// its bootstrap interval at [ab] confidence (compare/comparison.hpp, seeded with the session's
// seed, so the same session always gives the same rows), and against the limit 1 + max_cpu_increase:
//   the whole interval above it      -> Regression (the only A/B outcome that fails the gate)
//   the whole interval at or below   -> Pass
//   the interval contains it         -> Inconclusive (warns; the note says how many more blocks)
// A session that was not done gives a NotDone row per variant; the reason is said once, in
// ab_summary_line and ab_markdown.
#pragma once

#include <vector>

#include "bench/compare/comparison.hpp"
#include "bench/gate/gate_ab_session.hpp"
#include "bench/gate/gate_compare.hpp"
#include "bench/gate/gate_thresholds.hpp"

namespace wsalloc::bench::gate {

// The comparison of one variant's blocks under the settings (confidence, δ, seed).
compare::Comparison ab_comparison(const std::vector<compare::Block>& blocks, const AbSettings& settings, uint64_t seed);

std::vector<MetricRow> ab_rows(const AbSession& session, const AbSettings& settings);

// One line for logs and CI: "gate: A/B vs 569c708 (results/baseline.json), 8 blocks: malloc
// 1.004 [0.985, 1.024] ok; ..." or "gate: A/B NOT DONE: <reason>".
std::string ab_summary_line(const AbSession& session, const AbSettings& settings);

// A Markdown paragraph for the CI summary: base, how chosen, build time, blocks, seed, redone pairs,
// workload; or, not done, why and what that means.
std::string ab_markdown(const AbSession& session, const AbSettings& settings);

}  // namespace wsalloc::bench::gate
