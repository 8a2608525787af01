#include "bench/bench_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>

#include <fmt/core.h>

#include "bench/aggregate.hpp"
#include "bench/bench_comparisons.hpp"
#include "bench/case_gate.hpp"
#include "bench/child_process.hpp"
#include "bench/clock_text.hpp"
#include "bench/compare/block_schedule.hpp"
#include "bench/environment.hpp"
#include "bench/locust_engine.hpp"
#include "bench/measure.hpp"
#include "bench/results_file.hpp"
#include "bench/scenario.hpp"
#include "bench/summary_table.hpp"
#include "bench/targets.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace wsalloc::bench {

std::atomic<bool> g_stop_requested{false};

namespace {

constexpr uint32_t kQuickRepetitions = 3;
constexpr uint32_t kFullRepetitions = 5;
// First guess of a run's cost beyond warm-up + window (start, connect, drain, stop); replaced by
// the measured average as runs complete.
constexpr double kInitialOverheadS = 0.8;
// The short counting run's window as a share of the long one's (differential counting).
constexpr double kShortCountFraction = 0.4;

struct PlannedCase {
  const Scenario* scenario;
  const Case* kase;
  LoadSpec load;                              // resolved
  uint32_t repetitions;
  std::string capacity_source;                // latency-at-rate rate cases: id of the case giving capacity
  std::vector<const Target*> runnable;
  std::vector<std::pair<const Target*, Refusal>> refused;
};

// Run-time progress: counts and a time-left estimate refined by what runs really cost.
class Progress {
 public:
  Progress(size_t total_runs, double planned_load_s) : total_(total_runs), remaining_load_s_(planned_load_s) {}

  void begin(const RunRecord& r, const LoadSpec& load, const std::string& what) {
    ++done_;
    const double left = remaining_load_s_ + overhead_() * static_cast<double>(total_ - done_ + 1);
    fmt::print(stderr, "[{:>3}/{}] {:<28} {:<16} {:<12} elapsed {:>6}  ~{} left\n", done_, total_, r.id(), r.target, what,
               format_duration(std::chrono::duration<double>(Clock::now() - start_).count()), format_duration(left));
    remaining_load_s_ -= load.warmup_s + load.duration_s;
  }
  void end(const RunRecord& r, const LoadSpec& load) {
    overhead_sum_ += std::max(0.0, r.wall_s - load.warmup_s - load.duration_s);
    ++overhead_n_;
    std::string what;
    if (status_has_measurement(r.status)) {
      if (r.pass == RunPass::Count) {
        auto a = r.metrics.get("allocations_per_msg");
        if (!a) a = r.metrics.get("allocations_per_conn");
        what = a ? fmt::format("{} allocations per {}", compact_number(a), r.metrics.has("allocations_per_msg") ? "message" : "connection")
                 : "counted";
      } else if (auto rss = r.metrics.get("rss_per_conn_bytes"); rss && !r.metrics.has("msgs_per_sec")) {
        what = fmt::format("{} B/conn", compact_number(rss));
      } else {
        what = fmt::format("{} msg/s, server {} us/msg, p99 {} us", compact_number(r.metrics.get("msgs_per_sec")),
                           compact_number(r.metrics.get("server_cpu_us_per_msg")),
                           compact_number(r.metrics.get("latency_p99_us")));
      }
      if (r.status == RunStatus::Errors) what += " (ERRORS: " + r.reason + ")";
    } else {
      what = fmt::format("{}: {}", to_string(r.status), r.reason);
    }
    for (const std::string& f : r.flags) {
      if (f == "load_generator_saturated") what += " [load generator saturated]";
    }
    fmt::print(stderr, "          -> {}\n", what);
  }

 private:
  double overhead_() const { return overhead_n_ ? overhead_sum_ / static_cast<double>(overhead_n_) : kInitialOverheadS; }
  size_t total_;
  size_t done_ = 0;
  double remaining_load_s_;
  double overhead_sum_ = 0;
  size_t overhead_n_ = 0;
  Clock::time_point start_ = Clock::now();
};

LoadSpec resolve_load(const Case& c, const RunOptions& o) {
  LoadSpec l = o.quick ? c.quick_load : c.load;
  if (o.duration_s) l.duration_s = *o.duration_s;
  if (o.warmup_s) l.warmup_s = *o.warmup_s;
  if (o.connections) l.connections = *o.connections;
  return l;
}

RunRecord refusal_record(const PlannedCase& pc, const Target& t, const Refusal& r) {
  RunRecord rec;
  rec.scenario = pc.scenario->name;
  rec.case_name = pc.kase->name;
  rec.target = t.name;
  rec.repetition = 0;
  rec.pass = RunPass::Time;
  rec.status = r.status;
  rec.reason = r.reason;
  rec.load = pc.load;
  return rec;
}

// --load-hosts: a case whose connections cannot be split over the hosts (fewer than hosts).
std::optional<std::string> unsplittable(const LoadSpec& load, ScenarioKind kind, const LoadHostsConfig& hosts) {
  if (!hosts.enabled()) return std::nullopt;
  auto split = split_load(load, kind, hosts.names);
  if (const auto* why = std::get_if<std::string>(&split)) return *why;
  return std::nullopt;
}

std::unique_ptr<LocustEngine> start_load_engine(const BenchPaths& paths, const LoadHostsConfig& hosts, const fs::path& dir) {
  LocustEngineConfig c;
  c.hosts = hosts;
  const auto locust = find_on_path("locust");
  if (!locust) throw std::runtime_error("--load-hosts needs Locust (Debian python3-locust: scripts/install-deps.sh installs it); `locust` is not on PATH");
  c.locust = *locust;
  c.locustfile = paths.repo_root / "harness" / "bench" / "distributed" / "locustfile.py";
  c.control_dir = dir;
  fmt::print(stderr, "wsbench: waiting (at most {:.0f} s) for the load hosts' Locust workers to connect to {}:{}...\n", hosts.wait_s,
             hosts.master_bind, hosts.master_port);
  auto e = LocustEngine::start(c);
  fmt::print(stderr, "wsbench: load from {} hosts through Locust {}\n", hosts.names.size(), e->describe()["version"].get<std::string>());
  return e;
}

bool counting_applies(const PlannedCase& pc, const Target& t, const RunOptions& o, const std::string& counter_lib) {
  return o.count_pass && !counter_lib.empty() && t.counter != CounterCoverage::Incompatible &&
         t.counter != CounterCoverage::Invisible && t.counter != CounterCoverage::NotStarted &&
         // Rate cases of latency-at-rate count what their capacity case counts: same messages.
         !(pc.scenario->kind == ScenarioKind::LatencyAtRate && pc.kase->name != "capacity");
}

}  // namespace

int run_benchmarks(const BenchPaths& paths, const RunOptions& opts, RunOutcome& outcome) {
  // Scenarios: a broken file stops the run before anything is measured.
  std::vector<Scenario> scenarios;
  try {
    scenarios = load_scenarios(paths.scenarios_dir);
  } catch (const ScenarioError& e) {
    fmt::print(stderr, "wsbench: {}\n", e.what());
    return kExitUsage;
  }
  std::vector<const Scenario*> selected;
  for (const Scenario& s : scenarios) {
    if (!scenario_selected(s, opts.scenarios)) continue;
    if (opts.quick && !s.quick.included) continue;
    selected.push_back(&s);
  }
  if (selected.empty()) {
    fmt::print(stderr, "wsbench: no scenario in {} matches \"{}\"{}\n", paths.scenarios_dir.string(), opts.scenarios,
               opts.quick ? " with a [quick] section" : "");
    return kExitUsage;
  }

  // Targets: a broken target file (or URL) stops the run before anything is measured, too.
  DiscoveryOptions dopts;
  dopts.paths = paths;
  dopts.target_files = opts.target_files;
  dopts.target_urls = opts.target_urls;
  std::vector<Target> all_targets;
  try {
    all_targets = discover_targets(dopts);
  } catch (const ConfigFileError& e) {
    fmt::print(stderr, "wsbench: {}\n", e.what());
    return kExitUsage;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "wsbench: {}\n", e.what());
    return kExitUsage;
  }

  const fs::path wsload = paths.bin_dir / "wsload";
  if (::access(wsload.c_str(), X_OK) != 0) {
    fmt::print(stderr, "wsbench: {} missing: build the CMake target wsload\n", wsload.string());
    return kExitHarness;
  }
  const fs::path counter_path = paths.lib_dir / "libwsalloc-malloccount.so";
  const std::string counter_lib = fs::exists(counter_path) ? counter_path.string() : std::string();

  // Results folder first: the logs of every run go under it.
  const fs::path root = opts.out.value_or(paths.results_dir);
  nlohmann::json meta = collect_meta(paths.repo_root);
  fs::path run_dir;
  try {
    run_dir = create_run_dir(root, meta["git"]["short"].get<std::string>(), meta["git"]["dirty"].get<bool>());
  } catch (const std::exception& e) {
    fmt::print(stderr, "wsbench: cannot create the results folder under {}: {}\n", root.string(), e.what());
    return kExitHarness;
  }
  for (const std::string& w : machine_warnings(meta)) {
    meta["warnings"].push_back(w);
    fmt::print(stderr, "wsbench: warning: {}\n", w);
  }
  const fs::path workdir = run_dir / "logs";
  fs::create_directories(workdir);
  outcome.results_file = run_dir / "results.json";

  // Targets: selected (yours always), and started once each to see that they come up.
  std::vector<Target> targets;
  for (const Target& t : all_targets) {
    if (target_selected(t, opts.targets) || t.given) targets.push_back(t);
  }
  if (targets.empty()) {
    fmt::print(stderr, "wsbench: no target matches \"{}\"\n", opts.targets);
    return kExitUsage;
  }
  fmt::print(stderr, "wsbench: checking that {} targets start...\n", targets.size());
  probe_startup(targets, workdir.string());
  for (const Target& t : targets) {
    if (!t.available) fmt::print(stderr, "  {:<16} unavailable: {}\n", t.name, t.reason);
  }

  MeasureEnv env;
  env.host = opts.server_host;
  env.wsload = wsload.string();
  env.counter_lib = counter_lib;
  const bool have_taskset = find_on_path("taskset").has_value();
  env.server_cpu = opts.pin && have_taskset ? 0 : -1;
  env.load_cpu = opts.pin && have_taskset ? 1 : -1;
  env.workdir = workdir;
  // --load-hosts: one Locust master for the whole run; every named host's worker must be there first.
  std::unique_ptr<LocustEngine> engine;
  if (opts.load_hosts.enabled()) {
    try {
      engine = start_load_engine(paths, opts.load_hosts, workdir / "locust");
    } catch (const std::exception& e) {
      fmt::print(stderr, "wsbench: {}\n", e.what());
      return kExitHarness;
    }
    env.engine = engine.get();
    env.load_hosts = opts.load_hosts.names;
    env.load_cpu = -1;  // the hosts pin their own shards (locust ... --wsalloc-cpu)
  }

  // The plan: every (case, target) either runs or is refused now, with its reason.
  CaseGate gate(env.host, workdir);
  std::vector<PlannedCase> plan;
  size_t total_runs = 0;
  double planned_load_s = 0;
  for (const Scenario* s : selected) {
    for (const Case& c : s->cases) {
      if (opts.quick && !c.quick) continue;
      PlannedCase pc{s, &c, resolve_load(c, opts), 0, {}, {}, {}};
      if (s->kind == ScenarioKind::LatencyAtRate) {
        // The capacity comes from another scenario of this run when it has the same load shape.
        std::string source = s->name + "/capacity";
        if (!s->capacity_from.empty()) {
          for (const PlannedCase& earlier : plan) {
            if (earlier.scenario->name == s->capacity_from && earlier.kase == &earlier.scenario->cases.front() &&
                same_load_shape(earlier.load, resolve_load(s->cases.front(), opts))) {
              source = earlier.scenario->name + (earlier.kase->name == "default" ? "" : "/" + earlier.kase->name);
            }
          }
        }
        if (c.name == "capacity" && source != s->name + "/capacity") continue;  // measured elsewhere
        pc.capacity_source = source;
      }
      pc.repetitions = opts.repetitions.value_or(opts.quick ? s->quick.repetitions.value_or(kQuickRepetitions) : kFullRepetitions);
      for (const Target& t : targets) {
        if (auto r = gate.check(*s, c, t)) {
          pc.refused.emplace_back(&t, *r);
        } else if (auto why = unsplittable(pc.load, s->kind, opts.load_hosts)) {
          pc.refused.emplace_back(&t, Refusal{RunStatus::Skipped, *why});
        } else {
          pc.runnable.push_back(&t);
          total_runs += pc.repetitions;
          planned_load_s += pc.repetitions * (pc.load.warmup_s + pc.load.duration_s);
          if (counting_applies(pc, t, opts, counter_lib)) {
            // Two runs (differential counting) unless wsload marks its window; idle needs one.
            const size_t n = s->kind == ScenarioKind::Idle ? 1 : 2;
            total_runs += n;
            planned_load_s += n * (pc.load.warmup_s + std::min(pc.load.duration_s, opts.count_duration_s));
          }
        }
      }
      if (pc.runnable.size() > 1 && !repeated_reference(pc.runnable).empty()) {
        total_runs += pc.repetitions;  // A′
        planned_load_s += pc.repetitions * (pc.load.warmup_s + pc.load.duration_s);
      }
      plan.push_back(std::move(pc));
    }
  }
  // Block order: a fresh random permutation per block, recorded so a run can be reproduced.
  const uint64_t block_seed = (uint64_t(std::random_device{}()) << 32) ^ std::random_device{}();
  compare::SplitMix64 block_rng(block_seed);

  ResultsContent content;
  content.meta = meta;
  content.targets = targets;
  content.scenarios = selected;
  content.settings = {{"command", opts.command_line},
                      {"quick", opts.quick},
                      {"scenarios", opts.scenarios},
                      {"targets", opts.targets},
                      {"target_files", opts.target_files},
                      {"target_urls", opts.target_urls},
                      {"repetitions", opts.repetitions ? nlohmann::json(*opts.repetitions) : nlohmann::json(nullptr)},
                      {"duration_override_s", opts.duration_s ? nlohmann::json(*opts.duration_s) : nlohmann::json(nullptr)},
                      {"warmup_override_s", opts.warmup_s ? nlohmann::json(*opts.warmup_s) : nlohmann::json(nullptr)},
                      {"connections_override", opts.connections ? nlohmann::json(*opts.connections) : nlohmann::json(nullptr)},
                      {"count_pass", opts.count_pass},
                      {"count_duration_s", opts.count_duration_s},
                      {"counter_library", counter_lib.empty() ? nlohmann::json(nullptr) : nlohmann::json(counter_lib)},
                      {"wsload", env.wsload},
                      {"pinning", {{"server_cpu", env.server_cpu}, {"load_cpu", env.load_cpu}, {"taskset", have_taskset}}},
                      {"server_host", env.host},
                      {"load", engine ? engine->describe() : nlohmann::json{{"engine", "wsload"}, {"hosts", {"this machine"}}}},
                      {"saturation_rule", fmt::format("wsload CPU >= {:.0f} % of one core while the server's < {:.0f} %",
                                                      100 * env.load_saturated_at, 100 * env.server_busy_below)},
                      {"block_seed", block_seed},
                      {"interrupted", false}};
  content.meta["results_dir"] = run_dir.string();
  auto save = [&] {
    nlohmann::json m = content.meta;
    finish_meta(m);
    ResultsContent snapshot_content = content;
    snapshot_content.meta = m;
    write_json_atomic(outcome.results_file, build_results_json(snapshot_content));
  };

  fmt::print(stderr, "wsbench: {} cases, {} runs planned, about {} (results: {})\n", plan.size(), total_runs,
             format_duration(planned_load_s + kInitialOverheadS * static_cast<double>(total_runs)), run_dir.string());
  Progress progress(total_runs, planned_load_s);
  uint32_t sequence = 0;
  // Median msgs/s per (case id, target), for latency-at-rate's rates.
  std::map<std::pair<std::string, std::string>, double> capacity;

  auto measure = [&](const PlannedCase& pc, const Target& t, const LoadSpec& load, uint32_t rep, RunPass pass,
                     const std::string& note) {
    MeasureRequest req{pc.scenario, pc.kase, &t, load, rep, pass, ++sequence};
    RunRecord preview;
    preview.scenario = pc.scenario->name;
    preview.case_name = pc.kase->name;
    preview.target = t.name;
    progress.begin(preview, load,
                   pass == RunPass::Time ? fmt::format("rep {}/{}", rep, pc.repetitions) : std::string("count"));
    RunRecord rec = measure_run(env, req);
    if (!note.empty()) rec.flags.push_back(note);
    progress.end(rec, load);
    (status_has_measurement(rec.status) ? outcome.measured : outcome.failed)++;
    content.records.push_back(std::move(rec));
  };

  try {
    for (const PlannedCase& pc : plan) {
      if (g_stop_requested) break;
      for (const auto& [t, refusal] : pc.refused) content.records.push_back(refusal_record(pc, *t, refusal));

      // Per-target load: latency-at-rate derives the rate from this run's capacity.
      std::map<const Target*, LoadSpec> loads;
      std::map<const Target*, std::string> notes;
      std::vector<const Target*> runnable;
      for (const Target* t : pc.runnable) {
        LoadSpec l = pc.load;
        if (pc.scenario->kind == ScenarioKind::LatencyAtRate && pc.kase->name != "capacity") {
          auto it = capacity.find({pc.capacity_source, t->name});
          if (it == capacity.end() || it->second <= 0) {
            content.records.push_back(refusal_record(
                pc, *t, Refusal{RunStatus::Skipped, fmt::format("no capacity measured for this target in this run ({} has no measurement)",
                                                                pc.capacity_source)}));
            continue;
          }
          l.rate = l.rate_fraction * it->second;
          notes[t] = fmt::format("rate = {} x {:.0f} msg/s, the median of {} in this run", l.rate_fraction, it->second,
                                 pc.capacity_source);
        }
        loads[t] = l;
        runnable.push_back(t);
      }

      // Blocks: each repetition runs every target once in a fresh random order, and the reference
      // once more (A′) at a random place, so the block carries its own noise floor.
      const std::string twice = runnable.size() > 1 ? repeated_reference(runnable) : std::string();
      std::vector<const Target*> block = runnable;
      for (const Target* t : runnable)
        if (t->name == twice) block.push_back(t);
      for (uint32_t rep = 1; rep <= pc.repetitions && !g_stop_requested; ++rep) {
        bool reference_seen = false;
        for (size_t i : compare::random_order(block.size(), block_rng)) {
          if (g_stop_requested) break;
          const Target* t = block[i];
          const bool repeat = t->name == twice && reference_seen;
          reference_seen = reference_seen || t->name == twice;
          measure(pc, *t, loads[t], rep, RunPass::Time, notes[t]);
          if (repeat) content.records.back().flags.emplace_back(kReferenceRepeat);
        }
      }
      for (const Target* t : runnable) {
        if (g_stop_requested) break;
        if (!counting_applies(pc, *t, opts, counter_lib)) continue;
        LoadSpec l = loads[t];
        l.duration_s = std::min(l.duration_s, opts.count_duration_s);
        measure(pc, *t, l, 1, RunPass::Count, notes[t]);
        RunRecord& counted = content.records.back();
        // Without wsload's window markers the count spans set-up and teardown too: a second,
        // shorter run on a fresh server lets them cancel (combine_count_runs). Idle counts
        // per connection over the whole life on purpose.
        if (pc.scenario->kind != ScenarioKind::Idle && counted.window == WindowSource::Process &&
            status_has_measurement(counted.status) && !g_stop_requested) {
          LoadSpec shorter = l;
          shorter.duration_s = l.duration_s * kShortCountFraction;
          MeasureRequest req{pc.scenario, pc.kase, t, shorter, 1, RunPass::Count, ++sequence};
          RunRecord preview;
          preview.scenario = pc.scenario->name;
          preview.case_name = pc.kase->name;
          preview.target = t->name;
          progress.begin(preview, shorter, "count (short)");
          RunRecord short_run = measure_run(env, req);
          progress.end(short_run, shorter);
          RunRecord& long_run = content.records.back();
          if (combine_count_runs(long_run, short_run, pc.scenario->kind)) {
            const bool churn = pc.scenario->kind == ScenarioKind::Churn;
            fmt::print(stderr, "          => {} allocations per {} (long - short run)\n",
                       compact_number(long_run.metrics.get(churn ? "allocations_per_conn" : "allocations_per_msg")),
                       churn ? "connection" : "message");
          } else {
            long_run.flags.push_back("differential_count_failed: " +
                                     (short_run.reason.empty() ? std::string("the short run sent as many messages") : short_run.reason));
          }
        }
      }
      for (const SummaryRow& row : summarise(content.records)) {
        if (row.scenario != pc.scenario->name || row.case_name != pc.kase->name) continue;
        if (const Spread* s = row.metric("msgs_per_sec")) capacity[{row.id(), row.target}] = s->median;
      }
      save();
    }
    if (g_stop_requested) {
      content.settings["interrupted"] = true;
      save();
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "wsbench: {}\n", e.what());
    content.settings["harness_error"] = e.what();
    try {
      save();
    } catch (...) {
    }
    return kExitHarness;
  }

  // An interrupted run keeps its folder but does not become `latest`.
  if (!g_stop_requested) {
    try {
      update_latest_link(root, run_dir);
    } catch (const std::exception& e) {
      fmt::print(stderr, "wsbench: could not update {}/latest: {}\n", root.string(), e.what());
    }
  }
  std::fputs(render_summary(summarise(content.records)).c_str(), stdout);
  std::fputs(render_comparisons(compare_targets(content.records, content.targets)).c_str(), stdout);
  fmt::print("\n{} runs measured, {} failed or without a measurement; results: {}\n", outcome.measured, outcome.failed,
             outcome.results_file.string());
  if (g_stop_requested) return kExitInterrupted;
  return outcome.measured > 0 ? kExitOk : kExitNothingMeasured;
}

}  // namespace wsalloc::bench
