// RunRecord: everything measured (or the reason nothing was) for one (scenario, case, target,
// repetition, pass). One record per run goes into results.json, in the order the runs happened.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/disturbance.hpp"
#include "bench/metrics.hpp"
#include "bench/scenario.hpp"

namespace wsalloc::bench {

// Time and count are separate passes: the counter costs a few atomic adds per allocation, which
// would tax malloc-heavy targets in the timed runs (house rule 9).
enum class RunPass : uint8_t {
  Time,   // throughput, latency, CPU, memory; no counter loaded
  Count,  // the LD_PRELOAD counter loaded; allocations per message/connection
};
const char* to_string(RunPass p) noexcept;

enum class RunStatus : uint8_t {
  Ok,           // ran, no errors
  Errors,       // ran to the end, but wsload counted errors (mismatch, missing, ...): kept, flagged
  Failed,       // did not produce a measurement: the reason says why (server died, wsload failed)
  Skipped,      // the case cannot run on this target (a missing feature or flag): reason says which
  Unavailable,  // the target is not on this machine: reason says why
  Disturbed,    // measured, but another process or the hypervisor took a pinned core during the
                // window (disturbance.hpp): kept for the record, measured again, in no figure
};
const char* to_string(RunStatus s) noexcept;
bool status_has_measurement(RunStatus s) noexcept;  // Ok or Errors

// How the measured window was delimited on the server side.
enum class WindowSource : uint8_t {
  None,
  Markers,  // wsload's "window start"/"window end" lines: exactly its measured window
  Process,  // wsload's whole lifetime (setup, warm-up and drain included): flagged in the record
};
const char* to_string(WindowSource w) noexcept;

struct RunRecord {
  std::string scenario;
  std::string case_name;
  std::string target;
  uint32_t repetition = 0;  // 1-based; 0 for skipped/unavailable records
  uint32_t round_slot = 0;  // a precision round's run: its place in the case's chain of rounds, 1-based (0: not one)
  RunPass pass = RunPass::Time;
  RunStatus status = RunStatus::Failed;
  std::string reason;
  LoadSpec load;
  std::vector<std::string> server_args;
  std::string server_command;
  std::string load_command;
  WindowSource window = WindowSource::None;
  double window_s = 0;      // wall time of the server-side window
  MetricValues metrics;
  std::vector<std::string> flags;
  nlohmann::json wsload = nullptr;        // wsload's --json object, as printed
  nlohmann::json counters = nullptr;      // count pass: counter delta over the window
  nlohmann::json server_stats = nullptr;  // GET /stats after the window (wsalloc-server)
  nlohmann::json server_exit = nullptr;   // {"status", "clean", "stats"}
  nlohmann::json distributed = nullptr;   // --load-hosts: engine, hosts, shares, statuses (load_run.hpp)
  std::optional<Disturbance> disturbance;  // time pass: what else used the pinned cores in the window
  std::string started_utc;
  double wall_s = 0;        // the whole run, start of server to its exit

  std::string id() const { return case_name == "default" ? scenario : scenario + "/" + case_name; }
  nlohmann::json to_json() const;
};

// Flags the comparisons and the summary act on (bench_comparisons.hpp, aggregate.hpp).
inline constexpr std::string_view kReferenceRepeat = "reference_repeat";  // A′: the reference's second run of a block
inline constexpr std::string_view kHeldRound = "held_round";  // a precision round's run, on a held server
bool has_flag(const RunRecord& r, std::string_view flag);


nlohmann::json load_to_json(const LoadSpec& l);

}  // namespace wsalloc::bench
