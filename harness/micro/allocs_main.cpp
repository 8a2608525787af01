// wsalloc-instr-allocs: wsalloc-instr's allocation twin. The same workloads, counted with AllocScope
// (which replaces this executable's malloc; wsalloc-instr keeps glibc's, so its instruction counts
// are those of the code as shipped). Natively, never under valgrind: a separate pass (STYLE rule 9).
//
//   wsalloc-instr-allocs [--workloads a,b] [--iterations N]
//   -> { "<workload>": { "iterations": N, "allocations_total": A, "bytes_total": B,
//                        "allocations_per_iteration": A/N, "bytes_per_iteration": B/N }, ... }
// Exit: 0 ok, 2 harness error.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "malloccount/alloc_scope.hpp"
#include "micro/exit_status.hpp"
#include "micro/workloads.hpp"

using namespace wsalloc::micro;

int main(int argc, char** argv) {
  CLI::App app{"wsalloc-instr-allocs: allocations per iteration of wsalloc-instr's workloads"};
  std::string csv;
  uint64_t iterations = 0;
  app.add_option("--workloads", csv, "comma-separated workload names (default: all)");
  app.add_option("--iterations", iterations, "measured iterations per workload (default: each workload's own)")
      ->check(CLI::PositiveNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitHarnessError;
  }
  std::string error;
  auto selected = select_workloads(csv, error);
  if (!selected) {
    fmt::print(stderr, "wsalloc-instr-allocs: --workloads: {}\n", error);
    return kExitHarnessError;
  }

  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const WorkloadSpec* spec : *selected) {
    const uint64_t n = iterations != 0 ? iterations : spec->default_iterations;
    std::unique_ptr<Workload> w = spec->make();
    w->run(spec->warmup_iterations);
    uint64_t allocations = 0, bytes = 0;
    {
      wsalloc::malloccount::AllocScope scope;
      w->run(n);
      allocations = scope.allocations();
      bytes = scope.bytes();
    }
    out[spec->name] = {{"iterations", n},
                       {"allocations_total", allocations},
                       {"bytes_total", bytes},
                       {"allocations_per_iteration", double(allocations) / double(n)},
                       {"bytes_per_iteration", double(bytes) / double(n)},
                       {"work_done", w->work_done()}};
  }
  fmt::print("{}\n", out.dump(2));
  return kExitOk;
}
