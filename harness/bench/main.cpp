// wsbench: runs the scenarios against every variant and reference server and writes results a
// person and a CI job can trust.
//
//   wsbench run [--scenarios GLOB] [--targets LIST] [--target-file F] [--target-url URL] [--repetitions N]
//               [--quick] [--out DIR] [--load-hosts H1,H2,... [--load-master [ADDR:]PORT] [--server-host ADDR]]
//   wsbench list [--no-probe] [--json] [--target-file F] [--target-url URL]
//   wsbench profile --target T --scenario S [--case C] [--duration S]
//   wsbench report RESULTS.json ...   (report/, when built)
//   wsbench gate ...                  (gate/, when built)
//
// Exit codes: bench_run.hpp ExitCode.
#include <signal.h>

#include <cstdio>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "bench/bench_run.hpp"
#include "bench/heaptrack_profile.hpp"
#include "bench/list_command.hpp"
#include "bench/paths.hpp"
#ifdef WSBENCH_HAS_REPORT
#include "bench/report/report_command.hpp"
#endif
#ifdef WSBENCH_HAS_GATE
#include "bench/gate/gate_command.hpp"
#endif

namespace {

using namespace wsalloc::bench;

void on_stop_signal(int) { wsalloc::bench::g_stop_requested = true; }

std::string joined_argv(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

// SIGINT/SIGTERM end a run between measurements (partial results written); a peer that closes
// early must not kill wsbench with SIGPIPE.
void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

// The options every subcommand shares: where the repository, binaries, scenarios and targets are.
struct PathFlags {
  std::string repo, bin_dir, scenario_dir, target_dir;

  void add_to(CLI::App& app, const BenchPaths& paths) {
    app.add_option("--repo", repo, "repository root (scenarios/, results/, .peers/)")->default_str(paths.repo_root.string());
    app.add_option("--bin-dir", bin_dir, "folder of wsload, wsalloc-server and the peers")->default_str(paths.bin_dir.string());
    app.add_option("--scenario-dir", scenario_dir, "folder of the scenario files")->default_str(paths.scenarios_dir.string());
    app.add_option("--target-dir", target_dir, "folder of the built-in target files")->default_str(paths.targets_dir.string());
  }
  void apply(BenchPaths& paths) const {
    if (!repo.empty()) {
      paths.repo_root = repo;
      paths.scenarios_dir = paths.repo_root / "scenarios";
      paths.targets_dir = paths.repo_root / "targets";
      paths.results_dir = paths.repo_root / "results";
      paths.peers_dir = paths.repo_root / ".peers";
    }
    if (!bin_dir.empty()) {
      paths.bin_dir = bin_dir;
      paths.lib_dir = paths.bin_dir.parent_path() / "lib";
    }
    if (!scenario_dir.empty()) paths.scenarios_dir = scenario_dir;
    if (!target_dir.empty()) paths.targets_dir = target_dir;
  }
};

// `wsbench run`: the option table and the values that are not RunOptions fields as they stand.
struct RunFlags {
  RunOptions run;
  std::string out, load_hosts, load_master;
  double duration = 0, warmup = -1, load_wait = 0;
  uint32_t repetitions = 0, connections = 0;
  std::optional<uint32_t> max_blocks;
  std::optional<double> precision_budget;
  std::optional<double> count_duration;
  bool no_count = false, no_pin = false, no_instructions = false;
  CLI::App* cmd = nullptr;

  // A CLI11 option table: one statement per option, in the order --help lists them.
  void add_to(CLI::App& app) {
    cmd = app.add_subcommand("run", "measure scenarios x targets, write results/runs/<date>-<sha>/results.json");
    cmd->add_option("--scenarios", run.scenarios, "scenario names or globs, comma-separated (default: all)");
    cmd->add_option("--targets", run.targets, "target names or globs, comma-separated; !glob leaves out what it matches (default: all; see `wsbench list`)");
    cmd->add_option("--target-file", run.target_files,
                    "a target file of your own (targets/README.md), run beside the selected targets; repeatable");
    cmd->add_option("--target-url", run.target_urls,
                    "[NAME=]ws://HOST:PORT/PATH: a server wsbench does not start (client-side figures only); repeatable");
    cmd->add_option("--repetitions,-n", repetitions, "timed runs per (case, target), interleaved (default 5; --quick 3)")
        ->check(CLI::Range(1u, 100u));
    cmd->add_option("--max-blocks", max_blocks,
                    "precision rounds: measure malloc and the variants whose server-CPU ratio to it is wider than "
                    "±--precision-target again, on held servers, up to this many rounds per case (default --quick 12, else 16; 0 = none)")
        ->check(CLI::Range(0u, 100u));
    cmd->add_option("--precision-target", run.precision_target, "relative half-width of the 95 % interval to reach")
        ->capture_default_str()->check(CLI::Range(0.001, 1.0));
    cmd->add_option("--precision-budget", precision_budget,
                    "seconds the precision rounds may take in the whole run, shared over its cases (default --quick 160, else 300)")
        ->check(CLI::NonNegativeNumber);
    // A disturbed run is measured again (harness/bench/README.md, "Disturbed runs"); 1 turns the
    // first two rules off, a large factor the third.
    cmd->add_option("--max-server-wait", run.disturbance_limits.max_server_wait_share,
                    "a timed run is disturbed (measured again) when its server waited for its core more than this share of the window")
        ->capture_default_str()->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--max-steal", run.disturbance_limits.max_steal,
                    "... when the hypervisor stole more than this share of a pinned core's time")
        ->capture_default_str()->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--max-core-slowdown", run.disturbance_limits.max_slowdown,
                    "... when a fixed probe on the server's core ran more than this many times slower than its median")
        ->capture_default_str()->check(CLI::Range(1.0, 1e9));
    cmd->add_flag("--quick", run.quick, "the embedded default set for `make bench`: scenarios with a [quick] section, shortened");
    cmd->add_option("--out", out, "results root: writes OUT/runs/<date>-<sha>/ and OUT/latest (default <repo>/results)");
    cmd->add_option("--duration", duration, "override every case's measured window, seconds")->check(CLI::PositiveNumber);
    cmd->add_option("--warmup", warmup, "override every case's warm-up, seconds")->check(CLI::NonNegativeNumber);
    cmd->add_option("--connections", connections, "override every case's connection count")->check(CLI::Range(1u, 100000u));
    cmd->add_flag("--no-count", no_count, "skip the allocation-counting passes");
    cmd->add_flag("--no-instructions", no_instructions,
                  "skip the instructions step (callgrind instruction counts per message, once per run, ~30 s)");
    cmd->add_option("--count-duration", count_duration,
                    "measured window of a counting pass, seconds (default 1; counts are exact, growth is amortised over it)")
        ->check(CLI::PositiveNumber);
    cmd->add_flag("--no-pin", no_pin, "do not pin (default: server on CPU 0, wsload on CPU 1, with taskset)");
    cmd->add_option("--load-hosts", load_hosts,
                    "H1,H2,...: split every run's load over these hosts, whose Locust workers (harness/bench/distributed/) "
                    "wsbench waits for; results are the exact merge of the shards");
    cmd->add_option("--load-master", load_master, "[ADDRESS:]PORT the Locust master listens on for the workers (default 0.0.0.0:5557)");
    cmd->add_option("--load-wait", load_wait, "seconds to wait for every load host's worker (default 60)")->check(CLI::PositiveNumber);
    cmd->add_option("--server-host", run.server_host, "address the servers listen on, reachable from the load hosts")
        ->capture_default_str();
  }

  int execute(const BenchPaths& paths, const std::string& command_line) {
    if (repetitions) run.repetitions = repetitions;
    // make bench's ten minutes hold about 160 s of precision rounds (harness/bench/README.md).
    run.max_blocks = max_blocks.value_or(run.quick ? 12 : 16);
    run.precision_budget_s = precision_budget.value_or(run.quick ? 160 : 300);
    // Allocation counts are exact, but growth (an arena's first 64 KiB blocks, ~20 allocations in
    // echo-large's first second) is divided by the window's messages: at 0.5 s it read 0.00115 per
    // message for the arena, past the 0.001 that counts as none; at 1 s, 0.00032.
    run.count_duration_s = count_duration.value_or(1.0);
    if (!out.empty()) run.out = out;
    if (duration > 0) run.duration_s = duration;
    if (warmup >= 0) run.warmup_s = warmup;
    if (connections) run.connections = connections;
    run.count_pass = !no_count;
    run.instructions = !no_instructions;
    run.pin = !no_pin;
    run.command_line = command_line;
    try {
      if (!load_hosts.empty()) run.load_hosts.names = parse_load_host_names(load_hosts);
      if (!load_master.empty()) parse_master_address(load_master, run.load_hosts);
    } catch (const std::invalid_argument& e) {
      fmt::print(stderr, "wsbench: {}\n", e.what());
      return kExitUsage;
    }
    if (load_wait > 0) run.load_hosts.wait_s = load_wait;
    if (run.load_hosts.enabled() && !run.target_urls.empty()) {
      fmt::print(stderr, "wsbench: --target-url with --load-hosts: a server wsbench does not start is measured from this machine only\n");
      return kExitUsage;
    }
    RunOutcome outcome;
    return run_benchmarks(paths, run, outcome);
  }
};

struct ListFlags {
  ListOptions list;
  bool no_probe = false;
  CLI::App* cmd = nullptr;

  void add_to(CLI::App& app) {
    cmd = app.add_subcommand("list", "scenarios and targets, with what is unavailable and why");
    cmd->add_flag("--no-probe", no_probe, "do not start the targets (static checks only)");
    cmd->add_flag("--json", list.json, "machine-readable output");
    cmd->add_option("--target-file", list.target_files, "a target file of your own, listed with its availability");
    cmd->add_option("--target-url", list.target_urls, "[NAME=]ws://HOST:PORT/PATH: a server wsbench does not start");
  }
  int execute(const BenchPaths& paths) {
    list.probe = !no_probe;
    return list_command(paths, list);
  }
};

struct ProfileFlags {
  ProfileOptions prof;
  std::string into, out;
  double duration = 0, warmup = -1;
  bool no_pin = false;
  CLI::App* cmd = nullptr;

  void add_to(CLI::App& app) {
    cmd = app.add_subcommand("profile", "one target on one scenario under heaptrack, summary into the results");
    cmd->add_option("--target", prof.target, "target name (e.g. malloc, zerocopy, beast)")->required();
    cmd->add_option("--scenario", prof.scenario, "scenario name (e.g. echo-small)")->required();
    cmd->add_option("--case", prof.case_name, "case name (default: the first)");
    cmd->add_option("--target-file", prof.target_files, "a target file of your own (then --target names it)");
    cmd->add_option("--duration", duration, "measured window, seconds (default: min(case, 5))")->check(CLI::PositiveNumber);
    cmd->add_option("--warmup", warmup, "warm-up, seconds")->check(CLI::NonNegativeNumber);
    cmd->add_option("--into", into, "run folder to add the profile to (default: results/latest, else a new one)");
    cmd->add_option("--out", out, "results root (default <repo>/results)");
    cmd->add_option("--top", prof.top, "allocation sites to keep per section")->capture_default_str()->check(CLI::Range(1, 100));
    cmd->add_flag("--no-pin", no_pin, "do not pin with taskset");
  }
  int execute(const BenchPaths& paths) {
    if (!into.empty()) prof.into = into;
    if (!out.empty()) prof.out = out;
    if (duration > 0) prof.duration_s = duration;
    if (warmup >= 0) prof.warmup_s = warmup;
    prof.pin = !no_pin;
    return profile_command(paths, prof);
  }
};

}  // namespace

int main(int argc, char** argv) {
  BenchPaths paths = default_paths();
  CLI::App app{"wsbench: WebSocket allocation-strategy benchmarks (scenarios x targets x repetitions)", "wsbench"};
  app.require_subcommand(1);
  PathFlags path_flags;
  path_flags.add_to(app, paths);
  RunFlags run;
  run.add_to(app);
  ListFlags list;
  list.add_to(app);
  ProfileFlags prof;
  prof.add_to(app);
#ifdef WSBENCH_HAS_REPORT
  wsalloc::report::ReportOptions report;
  CLI::App* report_cmd = wsalloc::report::add_report_command(app, report);
#endif
#ifdef WSBENCH_HAS_GATE
  wsalloc::bench::gate::add_gate_command(app);  // its callback runs the gate and exits
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  path_flags.apply(paths);
  install_signal_handlers();

  if (*run.cmd) return run.execute(paths, joined_argv(argc, argv));
  if (*list.cmd) return list.execute(paths);
#ifdef WSBENCH_HAS_REPORT
  if (*report_cmd) return wsalloc::report::render_report(report);
#endif
  if (*prof.cmd) return prof.execute(paths);
  return kExitUsage;
}
