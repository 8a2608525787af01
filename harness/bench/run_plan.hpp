// The plan of a `wsbench run`: every (scenario case, target) either runs or is refused before
// anything is measured, with its reason, so the run's size and time estimate are known up front.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_run.hpp"
#include "bench/case_gate.hpp"
#include "bench/scenario.hpp"
#include "bench/targets.hpp"

namespace wsalloc::bench {

struct PlannedCase {
  const Scenario* scenario;
  const Case* kase;
  LoadSpec load;                              // resolved
  uint32_t repetitions;
  std::string capacity_source;                // latency-at-rate rate cases: id of the case giving capacity
  std::vector<const Target*> runnable;
  std::vector<std::pair<const Target*, Refusal>> refused;
};

struct RunPlan {
  std::vector<PlannedCase> cases;
  size_t total_runs = 0;
  double planned_load_s = 0;  // warm-up + window of every planned run
};

// Why a target cannot run a case (CaseGate::check in a real run), or nothing when it can.
using CaseCheck = std::function<std::optional<Refusal>(const Scenario&, const Case&, const Target&)>;

// The case's load with the command line's overrides (--quick, --duration, --warmup, --connections).
LoadSpec resolve_load(const Case& c, const RunOptions& o);

// True when a target of this case also gets the allocation-counting pass.
bool counting_applies(const PlannedCase& pc, const Target& t, const RunOptions& o, const std::string& counter_lib);

// A counting pass's window. The variants' allocations per message should read 0, and their early
// growth (an arena's first blocks: about 20 allocations in echo-large) must be spread over enough
// messages to stay under the 0.001 that counts as none (at 0.5 s the arena read 0.00103, at 1 s
// 0.00032): they take count_duration_s. The other targets make tens of allocations per message,
// so their window is the case's when that is shorter.
double count_window_s(const LoadSpec& case_load, const Target& t, double count_duration_s);

// Plans `selected` (in order) over `targets`. counter_lib: the counting library's path ("" = none).
RunPlan plan_run(const std::vector<const Scenario*>& selected, const std::vector<Target>& targets, const RunOptions& opts,
                 const std::string& counter_lib, const CaseCheck& check);

}  // namespace wsalloc::bench
