// Precision blocks (RunOptions::max_blocks): after a case's repetitions, which variants get more
// blocks with the malloc reference, and how the run's precision budget is shared over its cases.
// bench_run.cpp measures the blocks; this decides them.
//
// A case takes them when it has a malloc reference and another variant and is not idle. Each
// block holds malloc and every variant whose server-CPU ratio to it is wider than ±target and can
// still get there within max_blocks (blocks_for_precision); one that cannot is left as it is, said
// once. The budget: each case may spend what is left of it divided by the cases still to come, so
// time a precise case does not need passes to the next.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "bench/bench_run.hpp"
#include "bench/run_plan.hpp"
#include "bench/run_record.hpp"
#include "bench/targets.hpp"

namespace wsalloc::bench {

class PrecisionBlocks {
 public:
  PrecisionBlocks(const RunOptions& opts, const RunPlan& plan);

  bool applies(const PlannedCase& pc) const;
  double budget_s() const noexcept { return left_s_; }

  // The case's share of what is left (call once per case that applies, before its blocks) and,
  // after them, what it spent.
  double begin_case();
  void end_case(double spent_s);

  // The targets of the next block, malloc last; empty when the case is done. `records` are the
  // run's so far (this case's are picked out).
  std::vector<const Target*> next_block(const PlannedCase& pc, const std::vector<const Target*>& runnable,
                                        const std::vector<RunRecord>& records, const std::vector<Target>& targets);

  static const Target* reference(const std::vector<const Target*>& runnable);
  static std::vector<const Target*> candidates(const std::vector<const Target*>& runnable);

 private:
  const RunOptions& opts_;
  double left_s_ = 0;
  size_t cases_left_ = 0;
  std::set<std::string> out_of_reach_;  // "scenario/case/target" given up, said once
};

}  // namespace wsalloc::bench
