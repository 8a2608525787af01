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
#include "bench/disturbance.hpp"
#include "bench/environment.hpp"
#include "bench/instr_step.hpp"
#include "bench/json_optional.hpp"
#include "bench/latency_rate.hpp"
#include "bench/locust_engine.hpp"
#include "bench/measure.hpp"
#include "bench/precision_blocks.hpp"
#include "bench/results_file.hpp"
#include "bench/run_plan.hpp"
#include "bench/scenario.hpp"
#include "bench/speed_probe.hpp"
#include "bench/summary_table.hpp"
#include "bench/targets.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace wsalloc::bench {

std::atomic<bool> g_stop_requested{false};

namespace {

// First guess of a run's cost beyond warm-up + window (start, connect, drain, stop); replaced by
// the measured average as runs complete.
constexpr double kInitialOverheadS = 0.8;
// The short counting run's window as a share of the long one's (differential counting).
constexpr double kShortCountFraction = 0.4;
// Longest stretch of measuring between two writes of results.json (SIGINT/SIGTERM write it too).
constexpr int kSaveEveryS = 60;
// First guess of a precision round's run cost beyond warm-up + window (the first round starts each
// held server's wsload and connects it; later runs cost about 0.06 s more than their load).
constexpr double kRoundOverheadS = 0.15;
// A timed run whose window was disturbed (disturbance.hpp) is measured again, at most this often
// in all; the last attempt is kept even when disturbed, flagged, so a busy machine loses nothing.
constexpr uint32_t kMaxAttempts = 3;

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
  // A run the plan did not count (a disturbed run measured again).
  void add_unplanned(const LoadSpec& load) {
    ++total_;
    remaining_load_s_ += load.warmup_s + load.duration_s;
  }
  // Precision blocks: their time is reserved up front (reserve) and what a case leaves unused is
  // given back (release); their runs are counted as they come (add_reserved).
  void reserve(double seconds) { remaining_load_s_ += seconds; }
  void release(double seconds) { remaining_load_s_ -= seconds; }
  void add_reserved() { ++total_; }
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

// What the run reads before it measures anything. `selected` points into `scenarios`.
struct RunInputs {
  std::vector<Scenario> scenarios;
  std::vector<const Scenario*> selected;
  std::vector<Target> all_targets;
};

// Scenarios, then targets: a broken file (or URL, or a selection that matches no scenario) stops
// the run before anything is measured. Returns the exit code when it stops.
std::optional<int> read_inputs(const BenchPaths& paths, const RunOptions& opts, RunInputs& in) {
  try {
    in.scenarios = load_scenarios(paths.scenarios_dir);
  } catch (const ScenarioError& e) {
    fmt::print(stderr, "wsbench: {}\n", e.what());
    return kExitUsage;
  }
  for (const Scenario& s : in.scenarios) {
    if (!scenario_selected(s, opts.scenarios)) continue;
    if (opts.quick && !s.quick.included) continue;
    in.selected.push_back(&s);
  }
  if (in.selected.empty()) {
    fmt::print(stderr, "wsbench: no scenario in {} matches \"{}\"{}\n", paths.scenarios_dir.string(), opts.scenarios,
               opts.quick ? " with a [quick] section" : "");
    return kExitUsage;
  }
  DiscoveryOptions dopts;
  dopts.paths = paths;
  dopts.target_files = opts.target_files;
  dopts.target_urls = opts.target_urls;
  try {
    in.all_targets = discover_targets(dopts);
  } catch (const ConfigFileError& e) {
    fmt::print(stderr, "wsbench: {}\n", e.what());
    return kExitUsage;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "wsbench: {}\n", e.what());
    return kExitUsage;
  }
  return std::nullopt;
}

// The results folder of this run: every run's logs go under it, results.json into it.
struct RunFolder {
  fs::path root;     // the results root, whose `latest` link points at the last complete run
  fs::path run_dir;
  fs::path workdir;  // run_dir/logs
  nlohmann::json meta;
};

std::optional<int> create_run_folder(const BenchPaths& paths, const RunOptions& opts, RunFolder& f) {
  f.root = opts.out.value_or(paths.results_dir);
  f.meta = collect_meta(paths.repo_root);
  try {
    f.run_dir = create_run_dir(f.root, f.meta["git"]["short"].get<std::string>(), f.meta["git"]["dirty"].get<bool>());
  } catch (const std::exception& e) {
    fmt::print(stderr, "wsbench: cannot create the results folder under {}: {}\n", f.root.string(), e.what());
    return kExitHarness;
  }
  for (const std::string& w : machine_warnings(f.meta)) {
    f.meta["warnings"].push_back(w);
    fmt::print(stderr, "wsbench: warning: {}\n", w);
  }
  f.workdir = f.run_dir / "logs";
  fs::create_directories(f.workdir);
  return std::nullopt;
}

// The selected targets (yours always), each started once to see that it comes up. Empty (with the
// message printed) when the selection matches nothing.
std::vector<Target> select_and_probe_targets(const std::vector<Target>& all_targets, const RunOptions& opts,
                                             const fs::path& workdir) {
  std::vector<Target> targets;
  for (const Target& t : all_targets) {
    if (target_selected(t, opts.targets) || t.given) targets.push_back(t);
  }
  if (targets.empty()) {
    fmt::print(stderr, "wsbench: no target matches \"{}\"\n", opts.targets);
    return targets;
  }
  fmt::print(stderr, "wsbench: checking that {} targets start...\n", targets.size());
  probe_startup(targets, workdir.string());
  for (const Target& t : targets) {
    if (!t.available) fmt::print(stderr, "  {:<16} unavailable: {}\n", t.name, t.reason);
  }
  return targets;
}

// Where and how every run is measured. `env.engine` points into `engine`.
struct MeasureSetup {
  MeasureEnv env;
  bool have_taskset = false;
  std::unique_ptr<LocustEngine> engine;
};

std::optional<int> set_up_measuring(const BenchPaths& paths, const RunOptions& opts, const std::string& wsload,
                                    const std::string& counter_lib, const fs::path& workdir, MeasureSetup& m) {
  m.env.host = opts.server_host;
  m.env.wsload = wsload;
  m.env.counter_lib = counter_lib;
  m.have_taskset = find_on_path("taskset").has_value();
  m.env.server_cpu = opts.pin && m.have_taskset ? 0 : -1;
  m.env.load_cpu = opts.pin && m.have_taskset ? 1 : -1;
  m.env.workdir = workdir;
  if (!opts.load_hosts.enabled()) return std::nullopt;
  // --load-hosts: one Locust master for the whole run; every named host's worker must be there first.
  try {
    m.engine = start_load_engine(paths, opts.load_hosts, workdir / "locust");
  } catch (const std::exception& e) {
    fmt::print(stderr, "wsbench: {}\n", e.what());
    return kExitHarness;
  }
  m.env.engine = m.engine.get();
  m.env.load_hosts = opts.load_hosts.names;
  m.env.load_cpu = -1;  // the hosts pin their own shards (locust ... --wsalloc-cpu)
  return std::nullopt;
}

// results.json's "settings": how this run was asked for and set up, so it can be reproduced.
nlohmann::json run_settings(const RunOptions& opts, const MeasureSetup& m, const std::string& counter_lib, uint64_t block_seed) {
  const MeasureEnv& env = m.env;
  return {{"command", opts.command_line},
          {"quick", opts.quick},
          {"scenarios", opts.scenarios},
          {"targets", opts.targets},
          {"target_files", opts.target_files},
          {"target_urls", opts.target_urls},
          {"repetitions", optional_json(opts.repetitions)},
          {"duration_override_s", optional_json(opts.duration_s)},
          {"warmup_override_s", optional_json(opts.warmup_s)},
          {"connections_override", optional_json(opts.connections)},
          {"count_pass", opts.count_pass},
          {"count_duration_s", opts.count_duration_s},
          {"instructions", opts.instructions},
          {"counter_library", counter_lib.empty() ? nlohmann::json(nullptr) : nlohmann::json(counter_lib)},
          {"wsload", env.wsload},
          {"pinning", {{"server_cpu", env.server_cpu}, {"load_cpu", env.load_cpu}, {"taskset", m.have_taskset}}},
          {"server_host", env.host},
          {"load", m.engine ? m.engine->describe() : nlohmann::json{{"engine", "wsload"}, {"hosts", {"this machine"}}}},
          {"saturation_rule", fmt::format("wsload CPU >= {:.0f} % of one core while the server's < {:.0f} %",
                                          100 * env.load_saturated_at, 100 * env.server_busy_below)},
          {"block_seed", block_seed},
          {"precision_blocks", {{"max_blocks", opts.max_blocks}, {"target_half_width", opts.precision_target},
                                {"budget_s", opts.precision_budget_s}, {"metric", kPrecisionMetric}, {"reference", "malloc"},
                                {"servers", "held"}, {"round_window_s", kRoundWindowS}, {"round_warmup_s", kRoundWarmupS},
                                {"bracket_limit", kBracketLimit}}},
          {"disturbance_limits", {{"max_server_wait_share", opts.disturbance_limits.max_server_wait_share},
                                  {"max_steal", opts.disturbance_limits.max_steal},
                                  {"max_core_slowdown", opts.disturbance_limits.max_slowdown}, {"max_attempts", kMaxAttempts}}},
          {"interrupted", false}};
}

void save_results(const ResultsContent& content, const fs::path& results_file, ResultsDetail detail = ResultsDetail::Final) {
  nlohmann::json j = build_results_json(content, detail);
  finish_meta(j["meta"]);
  write_json_atomic(results_file, j);
}

// Runs the plan's cases, one at a time, into `content`: every run (and refusal) becomes a record.
class CaseRunner {
 public:
  CaseRunner(const RunOptions& opts, const MeasureEnv& env, const std::string& counter_lib, const RunPlan& plan,
             uint64_t block_seed, ResultsContent& content, RunOutcome& outcome)
      : opts_(opts), env_(env), counter_lib_(counter_lib), block_rng_(block_seed), content_(content), outcome_(outcome),
        progress_(plan.total_runs, plan.planned_load_s), precision_(opts, plan) {
    progress_.reserve(precision_.budget_s());
  }

  // One case: its refusals, its blocks of timed runs, then its counting runs.
  void run(const PlannedCase& pc) {
    for (const auto& [t, refusal] : pc.refused) content_.records.push_back(refusal_record(pc, *t, refusal));
    CaseLoads cl = resolve_loads(pc);
    run_blocks(pc, cl);
    if (precision_.applies(pc)) run_precision_rounds(pc, cl);
    run_counting(pc, cl);
    note_capacity(pc);
  }

 private:
  // Per-target load: latency-at-rate derives the rate from this run's capacity.
  struct CaseLoads {
    std::map<const Target*, LoadSpec> loads;
    std::map<const Target*, std::string> notes;
    std::vector<const Target*> runnable;
  };

  CaseLoads resolve_loads(const PlannedCase& pc) {
    CaseLoads cl;
    for (const Target* t : pc.runnable) {
      LoadSpec l = pc.load;
      if (pc.scenario->kind == ScenarioKind::LatencyAtRate && pc.kase->name != "capacity") {
        const auto rate = open_loop_rate(pc);
        if (!rate) {
          content_.records.push_back(refusal_record(
              pc, *t, Refusal{RunStatus::Skipped, fmt::format("no rate calibrated in this run ({} has no wsload CPU per message)",
                                                              pc.capacity_source)}));
          continue;
        }
        l.rate = l.rate_fraction * rate->rate;
        cl.notes[t] = fmt::format("rate = {} x {:.0f} msg/s ({}; closed loop from {}), the same for every target",
                                  l.rate_fraction, rate->rate, rate->source, pc.capacity_source);
      }
      cl.loads[t] = l;
      cl.runnable.push_back(t);
    }
    return cl;
  }

  // latency-at-rate's one rate, calibrated open loop against rawecho once per scenario, before its
  // first rate case (latency_rate.hpp). The trials are kept in results.json's settings, not as
  // records: they are no target's measurement.
  std::optional<CalibratedRate> open_loop_rate(const PlannedCase& pc) {
    auto [it, fresh] = calibrated_.try_emplace(pc.scenario->name);
    if (!fresh) return it->second;
    const auto raw = std::find_if(pc.runnable.begin(), pc.runnable.end(), [](const Target* t) { return t->name == "rawecho"; });
    nlohmann::json runs = nlohmann::json::array();
    CalibrationTrialRunner trial;
    if (raw != pc.runnable.end()) {
      trial = [&](double rate) -> std::optional<CalibrationTrial> {
        if (g_stop_requested) return std::nullopt;
        LoadSpec load = pc.load;
        load.rate = rate;
        return run_calibration_trial(env_, MeasureRequest{pc.scenario, pc.kase, *raw, load, 0, RunPass::Time, ++sequence_}, runs);
      };
    }
    it->second = calibrate_open_loop(load_costs_[pc.capacity_source], trial);
    if (it->second) {
      fmt::print(stderr, "          => calibration: {:.0f} msg/s ({})\n", it->second->rate, it->second->source);
      content_.settings["latency_calibration"][pc.scenario->name] = it->second->to_json();
      content_.settings["latency_calibration"][pc.scenario->name]["runs"] = std::move(runs);
    }
    return it->second;
  }

  // Blocks: each repetition runs every target once in a fresh random order, and the reference
  // once more (A′) at a random place, so the block carries its own noise floor.
  void run_blocks(const PlannedCase& pc, CaseLoads& cl) {
    const std::string twice = cl.runnable.size() > 1 ? repeated_reference(cl.runnable) : std::string();
    std::vector<const Target*> block = cl.runnable;
    for (const Target* t : cl.runnable)
      if (t->name == twice) block.push_back(t);
    for (uint32_t rep = 1; rep <= pc.repetitions && !g_stop_requested; ++rep) {
      bool reference_seen = false;
      for (size_t i : compare::random_order(block.size(), block_rng_)) {
        if (g_stop_requested) break;
        const Target* t = block[i];
        const bool repeat = t->name == twice && reference_seen;
        reference_seen = reference_seen || t->name == twice;
        measure_and_record(pc, *t, cl.loads[t], rep, RunPass::Time, cl.notes[t]);
        if (repeat) content_.records.back().flags.emplace_back(kReferenceRepeat);
      }
    }
  }

  void run_counting(const PlannedCase& pc, CaseLoads& cl) {
    for (const Target* t : cl.runnable) {
      if (g_stop_requested) break;
      if (!counting_applies(pc, *t, opts_, counter_lib_)) continue;
      LoadSpec l = cl.loads[t];
      l.duration_s = count_window_s(l, *t, opts_.count_duration_s);
      measure_and_record(pc, *t, l, 1, RunPass::Count, cl.notes[t]);
      const RunRecord& counted = content_.records.back();
      // Without wsload's window markers the count spans set-up and teardown too: a second,
      // shorter run on a fresh server lets them cancel (combine_count_runs). Idle counts
      // per connection over the whole life on purpose.
      if (pc.scenario->kind != ScenarioKind::Idle && counted.window == WindowSource::Process &&
          status_has_measurement(counted.status) && !g_stop_requested) {
        count_differentially(pc, *t, l);
      }
    }
  }

  // The short run of differential counting; its counts are folded into the long run's record.
  void count_differentially(const PlannedCase& pc, const Target& t, const LoadSpec& l) {
    LoadSpec shorter = l;
    shorter.duration_s = l.duration_s * kShortCountFraction;
    RunRecord short_run = measure(pc, t, shorter, 1, RunPass::Count, "count (short)", "");
    RunRecord& long_run = content_.records.back();
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

  // wsload's median CPU per message in this case per target, for the rate of latency-at-rate cases
  // planned later (latency_rate.hpp).
  void note_capacity(const PlannedCase& pc) {
    for (const SummaryRow& row : summarise(content_.records)) {
      if (row.scenario != pc.scenario->name || row.case_name != pc.kase->name) continue;
      if (const Spread* s = row.metric("load_cpu_us_per_msg")) load_costs_[row.id()].emplace_back(row.target, s->median);
    }
  }

  // One run, announced and reported on the progress lines; `note` becomes one of its flags.
  RunRecord measure(const PlannedCase& pc, const Target& t, const LoadSpec& load, uint32_t rep, RunPass pass,
                    const std::string& label, const std::string& note, HeldServer* held = nullptr) {
    MeasureRequest req{pc.scenario, pc.kase, &t, load, rep, pass, ++sequence_};
    RunRecord preview;
    preview.scenario = pc.scenario->name;
    preview.case_name = pc.kase->name;
    preview.target = t.name;
    progress_.begin(preview, load, label);
    RunRecord rec = held ? measure_held(env_, req, *held) : measure_run(env_, req);
    if (!note.empty()) rec.flags.push_back(note);
    // Latency counts only with headroom: wsload below its limit, the offered rate achieved.
    if (pc.scenario->kind == ScenarioKind::LatencyAtRate && pass == RunPass::Time && load.rate > 0)
      invalidate_unless_headroom(rec);
    progress_.end(rec, load);
    return rec;
  }

  // One planned run into the results. A timed run whose window was disturbed is kept as
  // "disturbed" (out of every figure) and measured again, up to kMaxAttempts in all, unless the
  // machine is busy (most recent runs disturbed): then another attempt would be disturbed alike,
  // and the pairing inside the block, not a redo, is what cancels the crowding.
  void measure_and_record(const PlannedCase& pc, const Target& t, const LoadSpec& load, uint32_t rep, RunPass pass,
                          const std::string& note, std::string label = {}) {
    if (label.empty()) label = pass == RunPass::Time ? fmt::format("rep {}/{}", rep, pc.repetitions) : std::string("count");
    for (uint32_t attempt = 1;; ++attempt) {
      RunRecord rec = measure(pc, t, load, rep, pass, attempt == 1 ? label : fmt::format("{} again", label), note);
      judge_core_speed(rec);
      const auto why = disturbed_run(pc, rec);
      if (attempt == 1 && pass == RunPass::Time) recent_.note(why.has_value());
      const bool busy = recent_.busy();
      if (why && !busy && attempt < kMaxAttempts && !g_stop_requested) {
        fmt::print(stderr, "          disturbed: {}; measuring again\n", *why);
        rec.status = RunStatus::Disturbed;
        rec.reason = *why;
        ++outcome_.disturbed;
        content_.records.push_back(std::move(rec));
        progress_.add_unplanned(load);
        continue;
      }
      if (why) {
        rec.flags.push_back(busy ? fmt::format("disturbed (kept: the machine is busy, {} of the last {} runs disturbed): {}",
                                               recent_.disturbed(), recent_.size(), *why)
                                 : fmt::format("disturbed (kept: {} attempts): {}", attempt, *why));
      }
      (status_has_measurement(rec.status) ? outcome_.measured : outcome_.failed)++;
      content_.records.push_back(std::move(rec));
      return;
    }
  }

  // The speed probe around the run against its median over this bench run (speed_probe.hpp); the
  // probes join the median after they are judged.
  void judge_core_speed(RunRecord& rec) {
    if (!rec.disturbance) return;
    Disturbance& d = *rec.disturbance;
    for (const auto& probe : {d.probe_before_ms, d.probe_after_ms}) {
      if (!probe) continue;
      if (const auto slow = probes_.slowdown(*probe)) d.core_slowdown = std::max(d.core_slowdown.value_or(0), *slow);
    }
    for (const auto& probe : {d.probe_before_ms, d.probe_after_ms})
      if (probe) probes_.add(*probe);
  }

  // Why a measured timed run does not count as a measurement of its target, if it does not. Idle
  // cases measure memory, which a crowded core does not change.
  std::optional<std::string> disturbed_run(const PlannedCase& pc, const RunRecord& rec) const {
    if (rec.pass != RunPass::Time || !status_has_measurement(rec.status) || !rec.disturbance) return std::nullopt;
    if (pc.scenario->kind == ScenarioKind::Idle) return std::nullopt;
    return disturbed_because(*rec.disturbance, opts_.disturbance_limits);
  }

  // After the case's repetitions: the precision rounds (precision_blocks.hpp) on servers held for
  // all of them, while the next round fits in the case's share of the budget.
  void run_precision_rounds(const PlannedCase& pc, CaseLoads& cl) {
    const double allowance = precision_.begin_case();
    const auto started = Clock::now();
    auto spent = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
    std::map<const Target*, HeldServer> held;
    std::map<std::string, size_t> last_record;  // index in content_.records of each target's last run
    const Target* ref = PrecisionBlocks::reference(cl.runnable);
    std::vector<const Target*> servers = PrecisionBlocks::candidates(cl.runnable);
    servers.insert(servers.begin(), ref);
    for (const Target* t : servers) {
      auto h = hold_server(env_, MeasureRequest{pc.scenario, pc.kase, t, cl.loads[t], 0, RunPass::Time, ++sequence_});
      if (auto* s = std::get_if<HeldServer>(&h)) {
        held.emplace(t, std::move(*s));
      } else {
        fmt::print(stderr, "          precision rounds: {} did not start: {}\n", t->name, std::get<RunRecord>(h).reason);
      }
    }
    uint32_t rep = pc.repetitions, rounds = 0;
    const size_t rounds_begin = content_.records.size();  // the case's first round's first record
    uint32_t slot = 0;                   // each held run's place in the case's chain (RunRecord::round_slot)
    std::optional<RunRecord> chain_end;  // the last round's closing malloc run, when measured: the next round opens with it
    double load_s = 0;
    // next_round() stops each variant at max_blocks blocks; rounds whose blocks were disturbed do not
    // count there, so the rounds themselves are bounded too.
    while (held.count(ref) && rounds < 2 * opts_.max_blocks && !g_stop_requested) {
      std::vector<const Target*> variants;
      for (const Target* t : precision_.next_round(pc, cl.runnable, content_.records, content_.targets))
        if (held.count(t) && !held.at(t).died) variants.push_back(t);
      if (variants.empty() || held.at(ref).died) break;
      // The next round's cost: the average so far, or a guess from its runs' length before any.
      const LoadSpec first = round_load(cl.loads[ref], rounds == 0);
      const double next = rounds ? spent() / rounds
                                 : static_cast<double>(2 * variants.size() + 1) * (first.warmup_s + first.duration_s + kRoundOverheadS);
      // Past its share only to give every variant kMinRounds blocks (fewer give no interval worth
      // the name: Student's t at 2 blocks is 12.7), and never past kMinRoundsOverrun x the share.
      const bool short_of_min = std::any_of(variants.begin(), variants.end(), [&](const Target* t) {
        return measured_in(rounds_begin, t->name) < kMinRounds;
      });
      if (spent() + next > (short_of_min ? kMinRoundsOverrun : 1.0) * allowance) break;
      ++rep;
      ++rounds;
      std::vector<const Target*> shuffled;
      for (size_t i : compare::random_order(variants.size(), block_rng_)) shuffled.push_back(variants[i]);
      const std::vector<const Target*> order = round_order(ref, shuffled, chain_end.has_value());
      // A chained round is judged with the run that opens it, which is stored with its own round.
      std::vector<RunRecord> round;
      if (chain_end) round.push_back(std::move(*chain_end));
      const size_t first_new = round.size();
      const std::string label = fmt::format("round {}", rounds);
      for (size_t i = 0; i < order.size() && !g_stop_requested; ++i) {
        const Target* t = order[i];
        const LoadSpec l = round_load(cl.loads[t], rounds == 1);
        progress_.add_reserved();
        RunRecord rec = measure(pc, *t, l, rep, RunPass::Time, label, cl.notes[t], &held.at(t));
        judge_core_speed(rec);
        rec.flags.emplace_back(kHeldRound);
        rec.round_slot = ++slot;
        round.push_back(std::move(rec));
        load_s += l.warmup_s + l.duration_s;
      }
      judge_round(round, opts_.disturbance_limits);
      chain_end.reset();
      if (round.size() > first_new && round.back().target == ref->name && status_has_measurement(round.back().status))
        chain_end = round.back();
      for (size_t i = first_new; i < round.size(); ++i) {
        RunRecord& r = round[i];
        (status_has_measurement(r.status) ? outcome_.measured : r.status == RunStatus::Disturbed ? outcome_.disturbed : outcome_.failed)++;
        last_record[r.target] = content_.records.size();
        content_.records.push_back(std::move(r));
      }
    }
    for (auto& [t, h] : held) {
      const auto last = last_record.find(t->name);
      release_held(env_, h, last != last_record.end() ? &content_.records[last->second] : nullptr);
    }
    precision_.end_case(spent());
    progress_.release(std::max(0.0, allowance - load_s));
  }

  // How many of `target`'s runs from content_.records[begin] on are measurements (its blocks, in rounds).
  size_t measured_in(size_t begin, const std::string& target) const {
    size_t n = 0;
    for (size_t i = begin; i < content_.records.size(); ++i)
      n += content_.records[i].target == target && status_has_measurement(content_.records[i].status);
    return n;
  }

  const RunOptions& opts_;
  const MeasureEnv& env_;
  const std::string& counter_lib_;
  compare::SplitMix64 block_rng_;
  ResultsContent& content_;
  RunOutcome& outcome_;
  Progress progress_;
  uint32_t sequence_ = 0;
  RecentDisturbance recent_;
  ProbeBaseline probes_;
  PrecisionBlocks precision_;
  // wsload's median CPU per message per case id and target, for latency-at-rate's one rate.
  std::map<std::string, std::vector<std::pair<std::string, double>>> load_costs_;
  // latency-at-rate's calibrated rate per scenario (nullopt: nothing to calibrate from).
  std::map<std::string, std::optional<CalibratedRate>> calibrated_;
};

// The instructions step (instr_step.hpp), with its progress on stderr like the cases'.
nlohmann::json measure_instructions_once(const BenchPaths& paths, const fs::path& workdir) {
  fmt::print(stderr, "wsbench: instructions: callgrind on the variants' pipeline workloads (about {})\n",
             format_duration(kInstrStepEstimateS));
  nlohmann::json s = run_instr_step(default_instr_step(paths, workdir));
  fmt::print(stderr, "wsbench: instructions: {}{}\n", s["status"].get<std::string>(),
             s["reason"].is_string() ? " — " + s["reason"].get<std::string>()
                                     : fmt::format(", {} workloads in {:.1f} s", s["workloads"].size(), s.value("seconds", 0.0)));
  return s;
}

// The end of a complete or interrupted run: the `latest` link, the summary and the exit code.
int finish_run(const RunFolder& folder, const ResultsContent& content, const RunOutcome& outcome) {
  // An interrupted run keeps its folder but does not become `latest`.
  if (!g_stop_requested) {
    try {
      update_latest_link(folder.root, folder.run_dir);
    } catch (const std::exception& e) {
      fmt::print(stderr, "wsbench: could not update {}/latest: {}\n", folder.root.string(), e.what());
    }
  }
  std::fputs(render_summary(summarise(content.records)).c_str(), stdout);
  const std::vector<BenchComparison> comparisons = compare_targets(content.records, content.targets);
  std::fputs(render_comparisons(comparisons).c_str(), stdout);
  const double target = content.settings.value("precision_blocks", nlohmann::json::object()).value("target_half_width", kBenchDelta);
  std::fputs(summarise_precision(comparisons, content.targets, target).render().c_str(), stdout);
  std::fputs(render_instr_summary(content.instructions).c_str(), stdout);
  fmt::print("\n{} runs measured, {} failed or without a measurement, {} disturbed and measured again; results: {}\n",
             outcome.measured, outcome.failed, outcome.disturbed, outcome.results_file.string());
  if (g_stop_requested) return kExitInterrupted;
  return outcome.measured > 0 ? kExitOk : kExitNothingMeasured;
}

}  // namespace

// Phases: read inputs, create the results folder, probe targets, set up measuring, plan, run each
// case (saving results.json after each), finish.
int run_benchmarks(const BenchPaths& paths, const RunOptions& opts, RunOutcome& outcome) {
  RunInputs in;
  if (auto rc = read_inputs(paths, opts, in)) return *rc;
  const fs::path wsload = paths.bin_dir / "wsload";
  if (::access(wsload.c_str(), X_OK) != 0) {
    fmt::print(stderr, "wsbench: {} missing: build the CMake target wsload\n", wsload.string());
    return kExitHarness;
  }
  const fs::path counter_path = paths.lib_dir / "libwsalloc-malloccount.so";
  const std::string counter_lib = fs::exists(counter_path) ? counter_path.string() : std::string();
  RunFolder folder;
  if (auto rc = create_run_folder(paths, opts, folder)) return *rc;
  outcome.results_file = folder.run_dir / "results.json";
  const std::vector<Target> targets = select_and_probe_targets(in.all_targets, opts, folder.workdir);
  if (targets.empty()) return kExitUsage;
  MeasureSetup measuring;
  if (auto rc = set_up_measuring(paths, opts, wsload.string(), counter_lib, folder.workdir, measuring)) return *rc;

  CaseGate gate(measuring.env.host, folder.workdir);
  const RunPlan plan = plan_run(in.selected, targets, opts, counter_lib,
                                [&gate](const Scenario& s, const Case& c, const Target& t) { return gate.check(s, c, t); });
  // Block order: a fresh random permutation per block, recorded so a run can be reproduced.
  const uint64_t block_seed = (uint64_t(std::random_device{}()) << 32) ^ std::random_device{}();
  ResultsContent content;
  content.meta = folder.meta;
  content.targets = targets;
  content.scenarios = in.selected;
  content.settings = run_settings(opts, measuring, counter_lib, block_seed);
  content.meta["results_dir"] = folder.run_dir.string();

  fmt::print(stderr, "wsbench: {} cases, {} runs planned, about {} (results: {})\n", plan.cases.size(), plan.total_runs,
             format_duration(plan.planned_load_s + kInitialOverheadS * static_cast<double>(plan.total_runs) +
                             (opts.instructions ? kInstrStepEstimateS : 0.0)), folder.run_dir.string());
  CaseRunner runner(opts, measuring.env, counter_lib, plan, block_seed, content, outcome);
  try {
    // results.json after a case, so a run killed outright keeps what it measured: a checkpoint
    // (results_file.hpp), at most every kSaveEveryS, as writing 15 MB takes time a case could
    // measure in.
    auto last_save = Clock::now();
    for (const PlannedCase& pc : plan.cases) {
      if (g_stop_requested) break;
      runner.run(pc);
      if (Clock::now() - last_save >= std::chrono::seconds(kSaveEveryS)) {
        save_results(content, outcome.results_file, ResultsDetail::Checkpoint);
        last_save = Clock::now();
      }
    }
    if (!g_stop_requested) {
      content.instructions = opts.instructions ? measure_instructions_once(paths, folder.workdir)
                                               : skipped_instr_section("not asked for (--no-instructions)");
      save_results(content, outcome.results_file);
    }
    if (g_stop_requested) {
      content.settings["interrupted"] = true;
      save_results(content, outcome.results_file);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "wsbench: {}\n", e.what());
    content.settings["harness_error"] = e.what();
    try {
      save_results(content, outcome.results_file);
    } catch (...) {
    }
    return kExitHarness;
  }
  return finish_run(folder, content, outcome);
}

}  // namespace wsalloc::bench
