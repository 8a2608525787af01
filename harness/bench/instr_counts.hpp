// `wsalloc-instr --run-callgrind`, run and read: exact instructions (callgrind) and in-process
// allocations per iteration of each fixed-work workload (harness/micro/workloads.hpp; one iteration
// of a variant's pipeline workload is one message in and its echo out, of a core workload one call).
// One home for two users: the gate (gate/gate_measure.cpp) gates on these counts, `wsbench run`'s
// instructions step (instr_step.hpp) reports them.
//
//   InstrRunSpec spec{.program = bin_dir / "wsalloc-instr", .workdir = logs};
//   spec.core = false;                          // only the variants' pipelines
//   std::vector<InstrCount> counts = run_instr_counts(spec);   // throws InstrCountError
//
// Every failure (the program's exit status and last stderr line, output that is not the expected
// JSON, a workload without a count) throws InstrCountError with a message naming it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace wsalloc::bench {

struct InstrCountError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The server's memory variants, in the order the workloads list them.
inline const std::vector<std::string> kVariantNames = {"malloc", "arena", "pool", "zerocopy"};

struct InstrRunSpec {
  std::filesystem::path program;   // wsalloc-instr
  std::filesystem::path workdir;   // its stdout/stderr files (tags "instr", "instr-list")
  bool core = true;                // the core workloads (subject "core")
  std::vector<std::string> variants = kVariantNames;
  std::vector<std::string> shapes;  // pipeline shapes to keep ("echo_32", ...); empty = all
  std::optional<uint64_t> iterations;  // unset: each workload's own default
  std::string valgrind;             // empty: wsalloc-instr's default (valgrind on PATH)
  std::chrono::milliseconds timeout{170'000};
};

struct InstrCount {
  std::string name;      // as wsalloc-instr names it: "echo_32_pool", "frame_parse"
  std::string subject;   // "pool" (a variant) or "core"
  std::string workload;  // "echo_32" (the shape) or the core workload's name
  std::string per;       // what one iteration is: "message" (variants) or "call" (core)
  double instructions_per_iteration = 0;
  double allocations_per_iteration = 0;
  double bytes_allocated_per_iteration = 0;
  uint64_t iterations = 0;  // measured under callgrind (0 when the output does not say)
};

// "echo_32_pool" -> {"pool", "echo_32"}; a core workload -> {"core", name}.
std::pair<std::string, std::string> split_instr_workload(const std::string& name);

// wsalloc-instr --run-callgrind's stdout (instr_driver.hpp) -> one count per workload, in its order.
std::vector<InstrCount> parse_instr_output(const std::string& text);

// Runs it on the selection (all workloads when nothing is narrowed: a new one is measured at once;
// otherwise the names from `wsalloc-instr --list`). Nothing selected: empty, nothing run.
std::vector<InstrCount> run_instr_counts(const InstrRunSpec& spec);

}  // namespace wsalloc::bench
