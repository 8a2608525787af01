// wsalloc-instr: a fixed amount of work per named workload, for exact instruction counts.
//
//   wsalloc-instr [--workloads a,b] [--iterations N]       run them; the measured part is bracketed
//                                                         with CALLGRIND_* requests (no-ops natively)
//   wsalloc-instr --run-callgrind [--workloads a,b] [--iterations N] [--valgrind PATH] [--keep-out DIR]
//                                                         run each under callgrind; print the counts
//   wsalloc-instr --list                                  the workload names
//
// See instr_driver.hpp for the JSON and workloads.hpp for the workloads. Exit: 0 ok, 2 harness error.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "micro/instr_driver.hpp"
#include "micro/workloads.hpp"

using namespace wsalloc::micro;

int main(int argc, char** argv) {
  CLI::App app{"wsalloc-instr: fixed-work workloads for exact instruction counts (callgrind)"};
  std::string csv;
  uint64_t iterations = 0;
  bool callgrind = false, list = false;
  DriverOptions options;
  app.add_option("--workloads", csv, "comma-separated workload names (default: all; see --list)");
  app.add_option("--iterations", iterations, "measured iterations per workload (default: each workload's own)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--run-callgrind", callgrind, "run each workload under callgrind and print the counts as JSON");
  app.add_option("--valgrind", options.valgrind, "the valgrind program (default: valgrind on PATH)");
  app.add_option("--keep-out", options.keep_dir, "keep callgrind output files and logs in this directory");
  app.add_flag("--list", list, "print the workload names and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitHarnessError;
  }

  if (list) {
    for (const WorkloadSpec& s : all_workloads()) fmt::print("{}\n", s.name);
    return kExitOk;
  }
  std::string error;
  auto selected = select_workloads(csv, error);
  if (!selected) {
    fmt::print(stderr, "wsalloc-instr: --workloads: {}\n", error);
    return kExitHarnessError;
  }
  if (iterations != 0) options.iterations = iterations;

  if (callgrind) {
    options.workloads = std::move(*selected);
    return run_callgrind_pass(options);
  }

  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const WorkloadSpec* spec : *selected) {
    const uint64_t n = iterations != 0 ? iterations : spec->default_iterations;
    const uint64_t done = run_bracketed(*spec, n);
    out[spec->name] = {{"iterations", n}, {"warmup_iterations", spec->warmup_iterations}, {"work_done", done}};
  }
  fmt::print("{}\n", out.dump(2));
  return kExitOk;
}
