// The A/B run: the base commit's wsalloc-server against the candidate's, paired, on this machine,
// in this job. Replaces throughput ratios stored in the baseline (measured on another day, maybe
// another CPU model: a 30 % "regression" on an unchanged tree was common).
//
// What one pair measures: for each of base and candidate (a *side*, gate_ab_side.hpp), a fresh
// server pinned to CPU 0 (`taskset -c 0`) and one `wsload --hold` pinned to CPU 1, connected once.
// A window sends [ab] messages at once, spread over [ab] connections (every message in flight from
// the start: pipeline = messages / connections), and ends when all are echoed. The first window of
// a side warms its fresh server; then four measured windows a side, the sides alternating ABBA
// ABBA, each bracketed by the server's CPU time from /proc/PID/task/*/schedstat (ns;
// schedstat.hpp), read while the server is idle. Metric: server CPU nanoseconds per echoed message.
//
// Why every message at once: the server's cost per message depends on how many messages each
// wake-up and each read() finds, and in a steady closed loop that depends on how fast wsload is.
// With 64 connections x 32 in flight, a busy neighbour on wsload's CPU made the server run dry
// often: the base build's CPU per message rose 328 -> 435 ns while a build doing 25 % more work
// per message, which ran dry less, stayed at 444-470 ns (x1.05: a regression the gate missed in 4
// of 20 runs). Queued in full before the server can drain it, the input is read in the same large
// batches whatever wsload's speed: a CPU hog beside wsload leaves the server's figure unchanged
// (tests/gate/README.md). The price: per-batch costs (wake-ups, syscalls) are amortized over
// hundreds of messages, so the A/B weighs the work per message; allocations and instructions per
// message have their exact gates.
//
// Design (compare/block_schedule.hpp): a block measures every variant once in a random order, as
// one pair; the base's window comes first in half the blocks and the candidate's in the other half.
// The block's ratio is the median over the pair's adjacent windows (gate_ab.cpp says why). A pair
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

inline constexpr int kAbServerCpu = 0, kAbLoadCpu = 1;  // when pinned (AbOptions::pin)

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

// The held wsload of one run (without taskset), for the record and the tests.
std::vector<std::string> ab_wsload_args(const AbOptions& o, uint16_t port);

}  // namespace wsalloc::bench::gate
