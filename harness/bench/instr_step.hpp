// `wsbench run`'s instructions step: once per run, after the load runs, the exact instruction and
// allocation counts per message of the variants' pipeline workloads — the gate's callgrind pass
// (instr_counts.hpp, the same program and parsing), reported instead of gated.
//
// Which workloads: the 16 pipelines (echo_32, echo_512_text, echo_64k, fragmented × the four
// variants), each at its own iteration count, so the figures are the gate's to the instruction.
// The five core workloads (per call, the same for every variant) are left to the gate: all 21 took
// 39 s here under load, over the step's ~40 s share of make bench; the 16 take about 30 s.
//
// results.json's top-level "instructions" section (results_file.hpp):
//   {"status": "measured" | "skipped" | "failed", "reason": null | "why not",
//    "tool": "wsalloc-instr --run-callgrind", "command": "...", "valgrind": "valgrind-3.19.0" | null,
//    "seconds": 29.8, "exact": true,
//    "workloads": [{"workload": "echo_32", "subject": "malloc", "name": "echo_32_malloc",
//                   "per": "message", "unit": "instructions/message",
//                   "instructions_per_iteration": 1529, "allocations_per_iteration": 3,
//                   "bytes_allocated_per_iteration": 96, "iterations": 10000}, ...]}
// Skipped (with the reason) when asked to (--no-instructions) or when valgrind or wsalloc-instr is
// missing; failed (with wsalloc-instr's error) when it ran and could not measure. Never an empty pass.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/paths.hpp"

namespace wsalloc::bench {

// What the step is planned to take (the run's time estimate counts it): 15-23 s measured here.
inline constexpr double kInstrStepEstimateS = 30;

struct InstrStepOptions {
  std::filesystem::path instr_program;  // <bin>/wsalloc-instr
  std::string valgrind = "valgrind";    // a path, or a name looked up on PATH
  std::filesystem::path workdir;        // the run's logs: wsalloc-instr's stdout and stderr
};
InstrStepOptions default_instr_step(const BenchPaths& paths, const std::filesystem::path& workdir);

// Runs the step; never throws for a missing tool or a failed measurement (the section says so).
nlohmann::json run_instr_step(const InstrStepOptions& o);
// The section of a run that was told not to measure them.
nlohmann::json skipped_instr_section(const std::string& reason);

// The terminal's view of the section: a table (workload × variant: instructions per message and
// the ratio to malloc, allocations per message), or one line saying why there is none.
std::string render_instr_summary(const nlohmann::json& section);

}  // namespace wsalloc::bench
