// workloads.hpp: the named fixed-work workloads wsalloc-instr counts instructions of, and
// wsalloc-instr-allocs counts allocations of.
//
//   const WorkloadSpec* spec = find_workload("echo_32_pool");
//   auto w = spec->make();
//   w->run(spec->warmup_iterations);     // steady state: pools and arenas have seen the message
//   w->run(n);                           // the measured part: exactly n iterations
//
// Names (fixed: results/baseline.json and the gate key on them):
//   core:      frame_parse, unmask_4k, handshake, utf8_ascii_4k, utf8_multibyte_4k
//   pipelines: echo_32_<v>, echo_512_text_<v>, echo_64k_<v>, fragmented_<v>
//              for v in malloc, arena, pool, zerocopy
// One iteration of a pipeline workload is one message in and its echo out (see EchoShape).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsalloc::micro {

class Workload {
 public:
  virtual ~Workload() = default;
  // Does the operation exactly n times. The loop is inside, so a measured region around run()
  // holds n iterations plus one call. Harness-only work inside the loop (refilling the receive
  // buffer) sits in an UncountedSection (callgrind_bracket.hpp).
  virtual void run(uint64_t n) = 0;
  // A tally of the results (bytes echoed, lengths parsed, valid verdicts...): printed so the work
  // cannot be optimised away, and so a test can check the work was done.
  virtual uint64_t work_done() const noexcept = 0;
};

struct WorkloadSpec {
  std::string name;
  // Chosen so one workload counts 5-40 million instructions: about a second per valgrind run,
  // start-up included (CI budget: < 3 s each, < 60 s for all), yet vast against the few dozen
  // instructions of the bracket itself.
  uint64_t default_iterations = 0;
  uint64_t warmup_iterations = 0;
  std::function<std::unique_ptr<Workload>()> make;
};

// Every workload, core first, then the pipelines grouped by shape (malloc, arena, pool, zerocopy).
const std::vector<WorkloadSpec>& all_workloads();
const WorkloadSpec* find_workload(std::string_view name) noexcept;

// "a,b,c" -> those specs in that order; "" -> all of them. An unknown or repeated name gives
// nullopt and an error naming it and listing the known names.
std::optional<std::vector<const WorkloadSpec*>> select_workloads(std::string_view csv, std::string& error);

// Registration helpers, one per file (core_workloads.cpp, pipeline_workloads.cpp).
void add_core_workloads(std::vector<WorkloadSpec>& out);
void add_pipeline_workloads(std::vector<WorkloadSpec>& out);

}  // namespace wsalloc::micro
