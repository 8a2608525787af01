// instr_driver.hpp: `wsalloc-instr --run-callgrind`: exact instruction counts of each workload
// (callgrind, one valgrind run per workload) and exact allocation counts (AllocScope, in the
// wsalloc-instr-allocs twin, natively: a separate pass, never under valgrind), as one JSON object
// on stdout:
//
//   { "<workload>": { "instructions_total": 12345678, "iterations": 10000,
//                     "instructions_per_iteration": 1234.5678,
//                     "allocations_per_iteration": 0.0, "bytes_allocated_per_iteration": 0.0,
//                     "allocation_iterations": 10000 }, ... }
//
// Both counts are exact and repeatable: the same binary on the same machine prints the same JSON.
// Progress and timings go to stderr. Valgrind runs as
//   valgrind --tool=callgrind --collect-atstart=no --instr-atstart=no --callgrind-out-file=F
//            <this program> --workloads W --iterations N
// and the program itself turns instrumentation and collection on around the N iterations.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "micro/exit_status.hpp"
#include "micro/workloads.hpp"

namespace wsalloc::micro {

struct DriverOptions {
  std::vector<const WorkloadSpec*> workloads;
  std::optional<uint64_t> iterations;  // unset: each workload's default_iterations
  std::string valgrind = "valgrind";   // looked up on PATH
  std::string keep_dir;                // empty: a temporary directory, removed at the end
};

int run_callgrind_pass(const DriverOptions& options);

// Runs one workload the way the measured child does: warm-up, then n iterations in a CountedRegion
// (CALLGRIND_START_INSTRUMENTATION + TOGGLE_COLLECT ... TOGGLE_COLLECT + STOP_INSTRUMENTATION;
// no-ops outside valgrind). Returns work_done().
uint64_t run_bracketed(const WorkloadSpec& spec, uint64_t n);

}  // namespace wsalloc::micro
