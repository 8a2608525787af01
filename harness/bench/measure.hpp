// measure_run(): one measurement, start to finish.
//
//   1. start the server pinned to `server_cpu` (count pass: with the LD_PRELOAD counter), wait for
//      it to be ready, sample /proc (RSS before any connection)
//   2. start wsload pinned to `load_cpu` (or its shards on the load hosts: load_run.hpp); while it runs, sample the server's RSS every 20 ms and,
//      at wsload's "window start" / "window end" stderr lines, the server's CPU time and the
//      allocation counters (without markers: at wsload's start and exit, flagged)
//   3. GET /stats (outside the window: it allocates), SIGTERM the server by PID, collect its exit
//      status and exit statistics
//   4. turn wsload's JSON and the samples into metrics (metrics.hpp)
// Never throws for a measurement problem: a failure is a record with status Failed and a reason.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bench/held_load.hpp"
#include "bench/locust_engine.hpp"
#include "bench/process_costs.hpp"
#include "bench/run_record.hpp"
#include "bench/scenario.hpp"
#include "bench/server_launch.hpp"
#include "bench/targets.hpp"

namespace wsalloc::bench {

struct MeasureEnv {
  std::string host = "127.0.0.1";
  std::string wsload;           // path of the wsload binary
  std::string counter_lib;      // libwsalloc-malloccount.so; "" = no counting passes
  int server_cpu = 0;           // taskset -c; -1 = not pinned
  int load_cpu = 1;
  std::filesystem::path workdir;  // per-run logs go to workdir/<n>-<target>/
  // --load-hosts: the load comes from these hosts' workers through the engine, not from wsload here
  // (then `host` is the address the servers listen on and the hosts connect to).
  LocustEngine* engine = nullptr;
  std::vector<std::string> load_hosts;
  // Flags a run whose load generator was the bottleneck: wsload busy >= this share of one core
  // while the server is below kServerBusyBelow.
  double load_saturated_at = 0.90;
  double server_busy_below = 0.75;
};

struct MeasureRequest {
  const Scenario* scenario = nullptr;
  const Case* kase = nullptr;
  const Target* target = nullptr;
  LoadSpec load;                // resolved: quick overrides, CLI overrides, open-loop rate
  uint32_t repetition = 1;
  RunPass pass = RunPass::Time;
  uint32_t sequence = 0;        // run number, for the log folder name
};

RunRecord measure_run(const MeasureEnv& env, const MeasureRequest& req);

// A server started once and measured by several timed runs in a row (the precision rounds,
// precision_blocks.hpp): hold_server() starts it (or returns the failure's record),
// measure_held() is measure_run without the start and the stop (the window, metrics and status
// are the same), release_held() stops it and writes its /stats and exit into `last` (the last
// record measured on it; null: none).
struct HeldServer {
  RunningServer server;
  const Target* target = nullptr;
  std::vector<std::string> server_args;
  bool died = false;  // exited, or left in an unknown state by a failed load
  // Its load (held_load.hpp), started by the first measure_held that can use one: wsload here, a
  // case whose connections last (not idle, not churn). Null: each run starts its own wsload.
  std::unique_ptr<HeldLoad> load;
};
std::variant<HeldServer, RunRecord> hold_server(const MeasureEnv& env, const MeasureRequest& req);
RunRecord measure_held(const MeasureEnv& env, const MeasureRequest& req, HeldServer& held);
void release_held(const MeasureEnv& env, HeldServer& held, RunRecord* last);

// A run's record as it starts: what was asked (scenario, case, target, repetition, pass, the
// target's load) and the start time. Shared by measure_run and measure_external.
RunRecord start_record(const MeasureRequest& req);
// The run's end: its status and reason, and the wall time since `started`; returns a copy.
RunRecord finish_record(RunRecord& rec, std::chrono::steady_clock::time_point started, RunStatus status, std::string reason);

// wsload's arguments for a case on a target (raw targets get --raw). Exposed for tests and `list`.
std::vector<std::string> wsload_args(const LoadSpec& load, ScenarioKind kind, bool raw_tcp,
                                     const std::string& host, uint16_t port);

// Metrics from wsload's JSON and the server samples; separated from the process handling so that
// tests can feed it fixed numbers.
struct ServerWindow {
  double cpu_s = 0;             // server user+sys over the window
  double wall_s = 0;            // window wall time
  uint64_t rss_start_kib = 0;   // when ready, before wsload
  uint64_t rss_max_kib = 0;     // largest sample during wsload's run
  uint64_t hwm_kib = 0;         // VmHWM at the window's end
  std::optional<ProcessCosts> costs;  // the kernel's cost counters over the window
  WindowSource source = WindowSource::None;
};
struct CountDelta {
  bool measured = false;
  double allocations = 0, frees = 0, bytes = 0;
};
void compute_metrics(RunRecord& rec, const nlohmann::json& wsload, const ServerWindow& w, const CountDelta& c,
                     ScenarioKind kind, const MeasureEnv& env);

// Differential counting, for when wsload gives no window markers: two counting runs on fresh
// servers, one longer than the other. Connection set-up, warm-up growth and teardown are the same
// in both, so they cancel exactly:
//   allocations_per_msg = (A_long - A_short) / (sent_long - sent_short)
//   (churn: allocations_per_conn = (A_long - A_short) / (handshakes_long - handshakes_short))
// `long_run` becomes the combined record (its counters keep both deltas). Returns false, and
// leaves the lifetime figures with a flag, when the difference is not usable (a run failed, or the
// longer run did not send more messages).
bool combine_count_runs(RunRecord& long_run, const RunRecord& short_run, ScenarioKind kind);

}  // namespace wsalloc::bench
