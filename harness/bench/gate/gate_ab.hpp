// The A/B run: the base commit's wsalloc-server against the candidate's, paired, on this machine,
// in this job. Replaces throughput ratios stored in the baseline (measured on another day, maybe
// another CPU model: a 30 % "regression" on an unchanged tree was common).
//
// What one run measures: a fresh server pinned to CPU 0 (`taskset -c 0`), wsload pinned to CPU 1
// sending a fixed number of messages ([ab] messages, connections × pipeline in flight), and the
// server's CPU time over wsload's life from /proc/PID/task/*/schedstat (ns; schedstat.hpp).
// Metric: server CPU nanoseconds per echoed message. Unlike msgs/s it does not count the time the
// server waited for a busy CPU or for wsload, which is most of this machine's noise.
//
// Design (compare/block_schedule.hpp): a block runs every variant once in a random order; within a
// variant, base and candidate back to back, AB in half the blocks and BA in the other half. A pair
// during which the hypervisor stole more than [ab] max_steal_pct of either CPU is measured again
// (at most 3 times, then kept and counted). After [ab] min_blocks, a variant whose interval still
// contains the limit gets two more blocks at a time, up to [ab] max_blocks.
//
// Failures: the candidate server failing to start or to echo is a GateHarnessError (exit 2); the
// base failing is an A/B that was not done (warning, with the reason).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/gate/gate_ab_session.hpp"
#include "bench/gate/gate_thresholds.hpp"

namespace wsalloc::bench::gate {

struct AbOptions {
  std::filesystem::path base_server;
  std::filesystem::path candidate_server;
  std::filesystem::path wsload;
  std::vector<std::string> variants;
  AbSettings settings;
  uint64_t seed = 1;
  bool pin = true;
  std::filesystem::path workdir;  // server logs, wsload stderr
};

// `session` arrives with base and variants filled; returns it measured (status Done) or, when the
// base server failed, NotDone with the reason.
AbSession run_ab(const AbOptions& o, AbSession session);

// The wsload command line of one run (without taskset), for the record and the tests.
std::vector<std::string> ab_wsload_args(const AbOptions& o, uint16_t port);

}  // namespace wsalloc::bench::gate
