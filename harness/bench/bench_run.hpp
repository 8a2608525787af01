// `wsbench run`: scenarios x targets x repetitions, interleaved, into one results.json.
//
// Order: for each (scenario, case): block 1 (every target once in a random order, the reference
// twice), then block 2, ... (so drift of a noisy machine spreads over all targets alike), then the
// precision blocks (precision_blocks.hpp), then one counting pass per target. A disturbed run is
// measured again (disturbance.hpp). latency-at-rate offers every target the same rates, calibrated
// open loop against rawecho before its first rate case (latency_rate.hpp).
// A target or case that cannot run is recorded (unavailable / skipped, with the reason) before
// anything is measured, so the plan and its time estimate are known from the start.
// After the runs, once: the instructions step (instr_step.hpp), exact instructions per message.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bench/disturbance.hpp"
#include "bench/load_hosts.hpp"
#include "bench/paths.hpp"

namespace wsalloc::bench {

// Exit codes of wsbench (stable: make and CI key off them).
enum ExitCode : int {
  kExitOk = 0,             // results written (failed targets are in them, with reasons)
  kExitNothingMeasured = 1, // results written, but not a single run produced a measurement
  kExitUsage = 2,          // bad command line, broken scenario or target file, selection that matches nothing
  kExitHarness = 4,        // wsbench could not do its job: wsload missing, results not writable
  kExitInterrupted = 130,  // SIGINT/SIGTERM: partial results written
};

struct RunOptions {
  std::string scenarios;                  // globs over scenario names; "" = all (or the quick set)
  std::string targets;                    // globs over target names; "" = all
  std::vector<std::string> target_files;  // --target-file: yours, always run (beside the selected ones)
  std::vector<std::string> target_urls;   // --target-url [NAME=]ws://HOST:PORT/PATH: not started by wsbench
  std::optional<uint32_t> repetitions;    // default: 3 with --quick (or the scenario's [quick]), else 5
  bool quick = false;                     // scenarios/cases with [quick], with its overrides
  std::optional<std::filesystem::path> out;  // results root (default <repo>/results)
  std::optional<double> duration_s;       // override every case's measured window
  std::optional<double> warmup_s;         // override every case's warm-up
  std::optional<uint32_t> connections;    // override every case's connection count
  bool count_pass = true;                 // run the allocation-counting pass
  double count_duration_s = 1.0;          // its window (counts are exact; 1 s amortises growth)
  bool instructions = true;               // the instructions step after the runs (instr_step.hpp)
  bool pin = true;                        // taskset: server on CPU 0, wsload on CPU 1
  // Precision blocks (bench_comparisons.hpp): after a case's repetitions, more blocks of the
  // malloc reference and each variant whose server-CPU ratio to it has an interval wider than
  // ±precision_target, until none is, the case has max_blocks, or its share of precision_budget_s
  // is spent. 0 = none.
  uint32_t max_blocks = 0;
  double precision_target = 0.05;
  double precision_budget_s = 0;
  // When a timed run is not a measurement of its target (disturbance.hpp): --max-server-wait,
  // --max-steal, --max-core-slowdown. A VM whose steal never drops below 5 % needs them raised.
  DisturbanceLimits disturbance_limits;
  LoadHostsConfig load_hosts;             // --load-hosts: every run's load split over these hosts (Locust)
  std::string server_host = "127.0.0.1";  // --server-host: where the servers listen (load hosts connect there)
  std::string command_line;               // recorded in settings
};

struct RunOutcome {
  std::filesystem::path results_file;
  size_t measured = 0;
  size_t failed = 0;
  size_t disturbed = 0;  // measured again (disturbance.hpp)
};

// Set by the SIGINT/SIGTERM handler; checked between runs.
extern std::atomic<bool> g_stop_requested;

int run_benchmarks(const BenchPaths& paths, const RunOptions& opts, RunOutcome& outcome);

}  // namespace wsalloc::bench
