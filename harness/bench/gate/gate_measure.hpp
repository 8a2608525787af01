// The gate's exact measurement: one job, two passes, each a separate run (STYLE rule 9: counting
// and timing never share a run). Time is measured by the A/B run (gate_ab.hpp), not here.
//   1. instructions + in-process allocations: `wsalloc-instr --run-callgrind` (callgrind on fixed
//      work; its allocation twin counts the same work natively; run and read by
//      bench/instr_counts.hpp, which `wsbench run` shares). Exact.
//   2. end-to-end allocations: wsalloc-server under LD_PRELOAD=libwsalloc-malloccount.so driven by
//      wsload over loopback; per message = (Δ of a long run − Δ of a short run) / (extra messages),
//      so connection set-up and teardown cancel out. Each run starts after a warm-up run and after
//      the counters have gone quiet. Exact for the allocation-free variants. The arena's page
//      mappings (GET /stats memory.pages.maps, read outside the windows) count as allocations.
// Every failure to measure throws GateHarnessError naming the program, its exit status and the
// last line of its stderr.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/gate/gate_metrics.hpp"
#include "bench/instr_counts.hpp"
#include "bench/paths.hpp"

namespace wsalloc::bench::gate {

struct GateHarnessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline const std::vector<std::string>& kAllVariants = kVariantNames;  // bench/instr_counts.hpp

struct MeasureOptions {
  BenchPaths paths;
  std::vector<std::string> variants = kAllVariants;
  bool core = true;             // the core workloads (subject "core")
  bool pin = true;              // taskset: server on CPU 0, wsload on CPU 1
  std::filesystem::path workdir;  // server logs, callgrind output of a failed run
};

void measure_instructions(const MeasureOptions& o, GateDoc& doc);
void measure_e2e_allocations(const MeasureOptions& o, GateDoc& doc);
// Both exact passes, meta block included.
GateDoc measure_all(const MeasureOptions& o);

}  // namespace wsalloc::bench::gate
