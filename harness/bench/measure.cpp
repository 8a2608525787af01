#include "bench/measure.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/core.h>

#include "bench/clock_text.hpp"
#include "bench/cpu_steal.hpp"
#include "bench/load_hosts.hpp"
#include "bench/load_run.hpp"
#include "bench/measure_external.hpp"
#include "bench/probe_client.hpp"
#include "bench/procfs.hpp"
#include "bench/server_launch.hpp"
#include "bench/speed_probe.hpp"
#include "load/exit_code.hpp"
#include "malloccount/counters.hpp"
#include "malloccount/snapshot_json.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace wsalloc::bench {
namespace {

constexpr auto kRssSampleEvery = std::chrono::milliseconds(20);
constexpr auto kServerStopGrace = std::chrono::milliseconds(5000);
// wsload bounds itself (its hard timeout); this is the backstop if it does not.
constexpr double kLoadBackstopMarginS = 30;

std::string fmt_number(double v) {
  // wsload parses plain decimals; avoid exponents for rates.
  std::string s = fmt::format("{:.3f}", v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::optional<double> json_number(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object() || !cur->contains(k)) return std::nullopt;
    cur = &(*cur)[k];
  }
  if (!cur->is_number()) return std::nullopt;
  return cur->get<double>();
}

std::optional<malloccount::CounterSnapshot> snapshot(const std::string& path) {
  if (path.empty()) return std::nullopt;
  return malloccount::read_counters(path);
}

// The load of one run: wsload here, pinned, or (--load-hosts) one shard per load host through the
// engine. Returns null with rec.reason set when the case cannot be split over the hosts.
// wsload here, pinned: its whole command.
std::vector<std::string> local_wsload_argv(const MeasureEnv& env, const MeasureRequest& req, const RunRecord& rec, uint16_t port) {
  std::vector<std::string> argv;
  if (env.load_cpu >= 0) argv = {"taskset", "-c", std::to_string(env.load_cpu)};
  argv.push_back(env.wsload);
  for (std::string& a : wsload_args(rec.load, req.scenario->kind, req.target->raw_tcp, env.host, port)) argv.push_back(std::move(a));
  return argv;
}

std::unique_ptr<LoadRun> start_load(const MeasureEnv& env, const MeasureRequest& req, RunRecord& rec, uint16_t port,
                                    const fs::path& dir, double deadline_s, HeldLoad* held) {
  const ScenarioKind kind = req.scenario->kind;
  if (held) return held->window(rec.load.warmup_s, rec.load.duration_s);
  if (!env.engine) return start_local_load(local_wsload_argv(env, req, rec, port), dir / "wsload.json");
  auto split = split_load(rec.load, kind, env.load_hosts);
  if (const auto* why = std::get_if<std::string>(&split)) {
    rec.reason = *why;
    return nullptr;
  }
  std::vector<ShardPlan> shards;
  for (const LoadShare& s : std::get<std::vector<LoadShare>>(split)) {
    const std::string shard = fmt::format("{}/{}", s.index, s.count);
    ShardPlan p{s.host,
                {{"shard", shard}, {"connections", s.load.connections},
                 {"rate", s.load.rate > 0 ? nlohmann::json(s.load.rate) : nlohmann::json(nullptr)}},
                wsload_args(s.load, kind, req.target->raw_tcp, env.host, port)};
    // One broadcast group, one publisher per host: receivers must know the others' messages.
    if (kind == ScenarioKind::Broadcast && s.count > 1) p.wsload_args.insert(p.wsload_args.end(), {"--broadcast-shard", shard});
    shards.push_back(std::move(p));
  }
  return start_sharded_load(*env.engine, fmt::format("{:04}", req.sequence), std::move(shards), deadline_s, env.wsload,
                            dir / "shards");
}

}  // namespace

std::vector<std::string> wsload_args(const LoadSpec& l, ScenarioKind kind, bool raw_tcp, const std::string& host,
                                     uint16_t port) {
  std::vector<std::string> a = {"--host", host, "--port", std::to_string(port)};
  if (raw_tcp) a.push_back("--raw");
  if (kind == ScenarioKind::Idle) a.push_back("--idle");
  if (kind == ScenarioKind::Broadcast) a.push_back("--broadcast");
  if (!raw_tcp) a.insert(a.end(), {"--path", l.path});
  a.insert(a.end(), {"--connections", std::to_string(l.connections), "--threads", std::to_string(l.threads)});
  if (kind != ScenarioKind::Idle) {
    a.insert(a.end(), {"--payload", l.payload});
    if (!l.weights.empty()) a.insert(a.end(), {"--weights", l.weights});
    if (l.text) a.push_back("--text");
    if (l.json_text) a.push_back("--json-text");
    if (l.fragments > 1 && !raw_tcp) a.insert(a.end(), {"--fragments", std::to_string(l.fragments)});
    if (l.rate > 0) {
      a.insert(a.end(), {"--rate", fmt_number(l.rate)});
    } else {
      a.insert(a.end(), {"--pipeline", std::to_string(l.pipeline)});
    }
    if (l.churn > 0) a.insert(a.end(), {"--churn", std::to_string(l.churn)});
  }
  if (l.deflate && !raw_tcp) a.push_back("--deflate");
  a.insert(a.end(), {"--duration", fmt_number(l.duration_s), "--warmup",
                     fmt_number(kind == ScenarioKind::Idle ? 0.0 : l.warmup_s), "--json", "--quiet"});
  return a;
}

// Where a message's cost goes besides CPU time: the kernel's counters over the window, per message.
void set_cost_metrics(MetricValues& m, const ProcessCosts& c, double msgs) {
  auto per_msg = [msgs](uint64_t n) { return static_cast<double>(n) / msgs; };
  m.set("minor_faults_per_msg", per_msg(c.minor_faults));
  m.set("major_faults_per_msg", per_msg(c.major_faults));
  m.set("read_syscalls_per_msg", c.read_syscalls ? std::optional<double>(per_msg(*c.read_syscalls)) : std::nullopt);
  m.set("write_syscalls_per_msg", c.write_syscalls ? std::optional<double>(per_msg(*c.write_syscalls)) : std::nullopt);
  m.set("voluntary_switches_per_msg", per_msg(c.voluntary_switches));
  m.set("involuntary_switches_per_msg", per_msg(c.involuntary_switches));
}

void compute_metrics(RunRecord& rec, const nlohmann::json& w, const ServerWindow& sw, const CountDelta& c,
                     ScenarioKind kind, const MeasureEnv& env) {
  MetricValues& m = rec.metrics;
  const double messages = json_number(w, {"messages"}).value_or(0);
  const double sent = json_number(w, {"sent"}).value_or(0);
  const double duration = json_number(w, {"duration_s"}).value_or(0);
  // Without wsload's window markers the server-side window spans wsload's whole life, whose
  // messages are all those sent (warm-up and drain included), not only the measured ones.
  const double conns = json_number(w, {"connections", "established"}).value_or(0);
  // Broadcast: a "message" is a delivery, and over wsload's lifetime the deliveries are the
  // publisher's messages times the receivers.
  const double lifetime_msgs = kind == ScenarioKind::Broadcast ? sent * conns : sent;
  const double window_msgs = sw.source == WindowSource::Markers ? messages : lifetime_msgs;
  const double window_handshakes = json_number(w, {"window_handshakes"}).value_or(0);

  if (kind != ScenarioKind::Idle) {
    m.set("msgs_per_sec", json_number(w, {"msgs_per_sec"}));
    m.set("mb_per_sec", json_number(w, {"mb_per_sec"}));
    m.set("latency_p50_us", json_number(w, {"latency_us", "p50"}));
    m.set("latency_p90_us", json_number(w, {"latency_us", "p90"}));
    m.set("latency_p99_us", json_number(w, {"latency_us", "p99"}));
    m.set("latency_p999_us", json_number(w, {"latency_us", "p999"}));
    m.set("latency_p9999_us", json_number(w, {"latency_us", "p9999"}));
    m.set("latency_max_us", json_number(w, {"latency_us", "max"}));
    m.set("load_cpu_us_per_msg", json_number(w, {"cpu", "us_per_msg"}));
    m.set("behind_schedule", rec.load.rate > 0 ? json_number(w, {"behind_schedule"}) : std::nullopt);
    m.set("offered_rate", rec.load.rate > 0 ? std::optional<double>(rec.load.rate) : std::nullopt);
  }
  const double load_cpu = json_number(w, {"cpu", "user_s"}).value_or(0) + json_number(w, {"cpu", "sys_s"}).value_or(0);
  if (duration > 0) m.set("load_cpu_util", load_cpu / duration);
  m.set("errors", json_number(w, {"errors", "total"}));
  m.set("connections", conns);

  if (rec.pass == RunPass::Time && sw.source != WindowSource::None) {
    if (sw.wall_s > 0) m.set("server_cpu_util", sw.cpu_s / sw.wall_s);
    if (window_msgs > 0 && kind != ScenarioKind::Idle) {
      m.set("server_cpu_us_per_msg", sw.cpu_s * 1e6 / window_msgs);
      if (sw.cpu_s > 0) m.set("msgs_per_server_cpu_sec", window_msgs / sw.cpu_s);
    }
    if (kind == ScenarioKind::Churn) {
      m.set("handshakes_per_sec", json_number(w, {"handshakes_per_sec"}));
      if (window_handshakes > 0) m.set("server_cpu_us_per_handshake", sw.cpu_s * 1e6 / window_handshakes);
    }
    if (sw.costs && window_msgs > 0 && kind != ScenarioKind::Idle) set_cost_metrics(m, *sw.costs, window_msgs);
    m.set("rss_start_kib", static_cast<double>(sw.rss_start_kib));
    m.set("rss_max_kib", static_cast<double>(sw.rss_max_kib));
    m.set("rss_hwm_kib", static_cast<double>(sw.hwm_kib));
    if (conns > 0 && sw.rss_max_kib >= sw.rss_start_kib) {
      m.set("rss_per_conn_bytes", static_cast<double>(sw.rss_max_kib - sw.rss_start_kib) * 1024.0 / conns);
    }
    const double load_util = duration > 0 ? load_cpu / duration : 0;
    const double server_util = sw.wall_s > 0 ? sw.cpu_s / sw.wall_s : 0;
    if (load_util >= env.load_saturated_at && server_util < env.server_busy_below) {
      rec.flags.push_back("load_generator_saturated");
    }
  }
  if (rec.pass == RunPass::Count && c.measured) {
    if (kind == ScenarioKind::Idle) {
      if (conns > 0) m.set("allocations_per_conn", c.allocations / conns);
    } else if (window_msgs > 0) {
      m.set("allocations_per_msg", c.allocations / window_msgs);
      m.set("alloc_bytes_per_msg", c.bytes / window_msgs);
      m.set("frees_per_msg", c.frees / window_msgs);
      if (kind == ScenarioKind::Churn && window_handshakes > 0) {
        m.set("allocations_per_conn", c.allocations / window_handshakes);
      }
    }
  }
  if (sw.source == WindowSource::Process) rec.flags.push_back("window_is_wsload_lifetime");
  if (json_number(w, {"errors", "total"}).value_or(0) > 0) rec.flags.push_back("wsload_errors");
  // permessage-deflate: the server's replies, as wsload inflated them (message bytes per wire byte).
  m.set("compression_ratio", json_number(w, {"deflate", "received", "ratio"}));
  if (json_number(w, {"deflate", "declined"}).value_or(0) > 0) rec.flags.push_back("deflate_declined");
  if (rec.load.rate > 0 && json_number(w, {"errors", "client_backlog"}).value_or(0) > 0) {
    rec.flags.push_back("open_loop_schedule_not_kept");
  }
}

bool combine_count_runs(RunRecord& lr, const RunRecord& sr, ScenarioKind kind) {
  if (!status_has_measurement(lr.status) || !status_has_measurement(sr.status) || !lr.counters.is_object() ||
      !sr.counters.is_object()) {
    return false;
  }
  auto num = [](const nlohmann::json& j, const char* k) { return j.contains(k) && j[k].is_number() ? j[k].get<double>() : 0.0; };
  const double conns_l = json_number(lr.wsload, {"connections", "established"}).value_or(0);
  const double conns_s = json_number(sr.wsload, {"connections", "established"}).value_or(0);
  double units_l = num(lr.wsload, "sent"), units_s = num(sr.wsload, "sent");
  if (kind == ScenarioKind::Broadcast) {
    units_l *= conns_l;
    units_s *= conns_s;
  }
  if (kind == ScenarioKind::Churn) {
    units_l = num(lr.wsload, "handshakes");
    units_s = num(sr.wsload, "handshakes");
  }
  if (conns_l != conns_s || !(units_l > units_s)) return false;
  const double du = units_l - units_s;
  const double da = num(lr.counters, "allocations") - num(sr.counters, "allocations");
  const double db = num(lr.counters, "bytes_allocated") - num(sr.counters, "bytes_allocated");
  const double df = num(lr.counters, "frees") - num(sr.counters, "frees");
  for (const char* m : {"allocations_per_msg", "alloc_bytes_per_msg", "frees_per_msg", "allocations_per_conn"}) {
    lr.metrics.set(m, std::nullopt);
  }
  if (kind == ScenarioKind::Churn) {
    lr.metrics.set("allocations_per_conn", da / du);
  } else {
    lr.metrics.set("allocations_per_msg", da / du);
    lr.metrics.set("alloc_bytes_per_msg", db / du);
    lr.metrics.set("frees_per_msg", df / du);
  }
  lr.counters = {{"method", "differential: (long - short) / (units_long - units_short)"},
                 {"long", lr.counters},
                 {"short", sr.counters},
                 {"units_long", units_l},
                 {"units_short", units_s},
                 {"unit", kind == ScenarioKind::Churn ? "handshake" : kind == ScenarioKind::Broadcast ? "delivery" : "message"},
                 {"short_commands", {{"server", sr.server_command}, {"load", sr.load_command}}}};
  std::erase(lr.flags, std::string("window_is_wsload_lifetime"));
  lr.flags.push_back("counted_differentially");
  return true;
}

namespace {

// The counting pass's counter file (in /dev/shm), removed when the run ends.
struct CounterFile {
  std::string path;
  ~CounterFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

// The server's launch: pinned, with the case's server arguments and, when counting, the counter
// preloaded and told where to write.
LaunchSpec server_launch_spec(const MeasureEnv& env, const Target& t, const RunRecord& rec, const fs::path& dir,
                              const std::string& counter_file) {
  LaunchSpec ls;
  ls.target = &t;
  ls.host = env.host;
  ls.extra_args = rec.server_args;
  ls.cpu = env.server_cpu;
  ls.workdir = dir;
  if (!counter_file.empty()) {
    ls.preload_first = {env.counter_lib};
    ls.env = {{std::string(malloccount::kFileEnvVar), counter_file}};
  }
  return ls;
}

// What the server looked like while the load ran: /proc samples and counter snapshots at wsload's
// window markers, and over the load's whole life (the fallback window).
struct LoadWatch {
  ServerWindow sw;
  std::optional<ProcSample> win_start, win_end, life_start, life_end;
  std::optional<malloccount::CounterSnapshot> count_start, count_end, life_count_start, life_count_end;
  std::vector<CpuTicks> ticks_start, ticks_end, life_ticks_start, life_ticks_end;  // /proc/stat, for steal
  bool start_marker = false, end_marker = false;
  bool server_died = false;
};

// Samples the server every kRssSampleEvery until the load ends. When wsload outlives its backstop
// it is aborted and the reason returned.
std::optional<std::string> watch_load(LoadRun& load, pid_t server_pid, const std::string& counter_file, double backstop_s,
                                      LoadWatch& w) {
  const bool counting = !counter_file.empty();
  const auto backstop = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(backstop_s));
  while (true) {
    const bool over = load.wait(kRssSampleEvery);
    for (WindowMarker m : load.take_markers()) {
      if (m == WindowMarker::Start) {
        w.start_marker = true;
        w.win_start = sample_process(server_pid);
        w.ticks_start = read_proc_stat();
        if (counting) w.count_start = snapshot(counter_file);
      } else {
        w.end_marker = true;
        w.win_end = sample_process(server_pid);
        w.ticks_end = read_proc_stat();
        if (counting) w.count_end = snapshot(counter_file);
      }
    }
    if (auto s = sample_process(server_pid)) {
      w.sw.rss_max_kib = std::max(w.sw.rss_max_kib, s->rss_kib);
    } else {
      w.server_died = true;
    }
    if (over) return std::nullopt;
    if (Clock::now() > backstop) {
      load.abort();
      return fmt::format("wsload still running after {:.0f} s (its own hard timeout did not fire)", backstop_s);
    }
  }
}

// Why a phase ended the run before its measurement.
struct RunFailure {
  RunStatus status;
  std::string reason;
};

// The load: wsload pinned to its own core, or its shards on the load hosts, with the server
// watched until it ends. The server is left running either way.
std::optional<RunFailure> run_load(const MeasureEnv& env, const MeasureRequest& req, const RunningServer& server,
                                   const fs::path& dir, const std::string& counter_file, RunRecord& rec, LoadWatch& w,
                                   LoadResult& loaded, HeldLoad* held) {
  const bool counting = !counter_file.empty();
  // Fallback window: the load's whole life. Taken just before it starts.
  w.life_start = sample_process(server.server_pid);
  w.life_ticks_start = read_proc_stat();
  w.life_count_start = counting ? snapshot(counter_file) : std::nullopt;
  const double backstop_s = req.load.warmup_s + req.load.duration_s + kLoadBackstopMarginS +
                            static_cast<double>(req.load.connections) / 1000.0;
  std::unique_ptr<LoadRun> load;
  try {
    load = start_load(env, req, rec, server.port, dir, backstop_s, held);
  } catch (const std::exception& e) {
    return RunFailure{RunStatus::Failed, fmt::format("wsload: {}", e.what())};
  }
  if (!load) return RunFailure{RunStatus::Skipped, rec.reason};
  rec.load_command = load->command();
  if (auto overran = watch_load(*load, server.server_pid, counter_file, backstop_s, w)) return RunFailure{RunStatus::Failed, *overran};
  loaded = load->finish();
  w.life_end = sample_process(server.server_pid);
  w.life_ticks_end = read_proc_stat();
  w.life_count_end = counting ? snapshot(counter_file) : std::nullopt;
  if (!w.life_end) w.server_died = true;
  return std::nullopt;
}

// The measured window: between wsload's markers when it printed both, else over its whole life.
// Only where the server has a core of its own: unpinned, or with the load hosts' shards on this
// machine's cores, waiting for a CPU is the set-up, not a disturbance.
bool judges_disturbance(const MeasureEnv& env, RunPass pass) {
  return pass == RunPass::Time && env.server_cpu >= 0 && env.load_cpu >= 0 && !env.engine;
}

// What else used the pinned cores in the window (disturbance.hpp).
Disturbance window_disturbance(const LoadWatch& w, const MeasureEnv& env) {
  Disturbance d;
  if (w.win_start->wait_ns && w.win_end->wait_ns && w.sw.wall_s > 0 && *w.win_end->wait_ns >= *w.win_start->wait_ns) {
    d.server_wait_share = static_cast<double>(*w.win_end->wait_ns - *w.win_start->wait_ns) / 1e9 / w.sw.wall_s;
  }
  if (env.server_cpu >= 0) d.steal_server_core = steal_fraction(w.ticks_start, w.ticks_end, env.server_cpu);
  if (env.load_cpu >= 0) d.steal_load_core = steal_fraction(w.ticks_start, w.ticks_end, env.load_cpu);
  return d;
}

void settle_window(LoadWatch& w, ScenarioKind kind, RunPass pass, const MeasureEnv& env, RunRecord& rec) {
  if (w.start_marker && w.end_marker && w.win_start && w.win_end) {
    w.sw.source = WindowSource::Markers;
  } else if (w.life_start && w.life_end) {
    w.sw.source = WindowSource::Process;
    w.win_start = w.life_start;
    w.win_end = w.life_end;
    w.count_start = w.life_count_start;
    w.count_end = w.life_count_end;
    w.ticks_start = w.life_ticks_start;
    w.ticks_end = w.life_ticks_end;
  }
  // Idle: connections are made before the measured window, so its allocations are counted over
  // wsload's life (connect, hold, close).
  if (kind == ScenarioKind::Idle && pass == RunPass::Count) {
    w.count_start = w.life_count_start;
    w.count_end = w.life_count_end;
  }
  if (w.win_start && w.win_end) {
    w.sw.cpu_s = cpu_seconds_between(*w.win_start, *w.win_end);
    w.sw.wall_s = std::chrono::duration<double>(w.win_end->at - w.win_start->at).count();
    w.sw.hwm_kib = w.win_end->hwm_kib;
    if (w.win_start->costs && w.win_end->costs) w.sw.costs = costs_between(*w.win_start->costs, *w.win_end->costs);
    rec.window = w.sw.source;
    rec.window_s = w.sw.wall_s;
    if (judges_disturbance(env, pass)) rec.disturbance = window_disturbance(w, env);
  }
}

// wsalloc-server prints its statistics as one JSON line on stderr at exit; the last such line.
nlohmann::json exit_stats_line(const std::string& stderr_tail) {
  nlohmann::json exit_stats = nullptr;
  std::istringstream lines(stderr_tail);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] == '{') {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded()) exit_stats = j;
    }
  }
  return exit_stats;
}

// After the window: the server's own statistics (GET /stats allocates, so never inside it), then
// the stop by PID and what the server said at exit.
StopOutcome stop_and_collect_stats(const MeasureEnv& env, const Target& t, RunningServer& server, bool server_died,
                                   RunRecord& rec) {
  if (t.serves_stats && !server_died) {
    if (auto body = http_get(env.host, server.port, "/stats", std::chrono::milliseconds(2000))) {
      rec.server_stats = nlohmann::json::parse(*body, nullptr, false);
      if (rec.server_stats.is_discarded()) rec.server_stats = *body;
    }
  }
  StopOutcome stop = stop_server(server, kServerStopGrace);
  const nlohmann::json exit_stats = t.serves_stats ? exit_stats_line(stop.stderr_tail) : nlohmann::json(nullptr);
  rec.server_exit = {{"status", stop.status.describe()}, {"clean", stop.clean}, {"stats", exit_stats}};
  return stop;
}

// The counting pass's allocations over the window (a flag on the record when they cannot be read).
CountDelta count_delta(const LoadWatch& w, const std::string& counter_file, RunRecord& rec) {
  CountDelta cd;
  if (w.count_start && w.count_end) {
    try {
      malloccount::CounterSnapshot d = *w.count_end - *w.count_start;
      cd.measured = true;
      cd.allocations = static_cast<double>(d.allocations);
      cd.frees = static_cast<double>(d.frees);
      cd.bytes = static_cast<double>(d.bytes_allocated);
      rec.counters = d;
    } catch (const std::exception& e) {
      rec.flags.push_back(std::string("counter_delta_invalid: ") + e.what());
    }
  } else {
    malloccount::ReadError why = malloccount::ReadError::None;
    malloccount::read_counters(counter_file, why);
    rec.flags.push_back(fmt::format("counter_unreadable: {} ({})", malloccount::read_error_name(why), counter_file));
  }
  return cd;
}

}  // namespace

RunRecord start_record(const MeasureRequest& req) {
  RunRecord rec;
  rec.scenario = req.scenario->name;
  rec.case_name = req.kase->name;
  rec.target = req.target->name;
  rec.repetition = req.repetition;
  rec.pass = req.pass;
  rec.load = load_for_target(req.load, req.scenario->kind, *req.target);  // the target's own echo/broadcast path
  rec.started_utc = utc_iso(std::chrono::system_clock::now());
  return rec;
}

RunRecord finish_record(RunRecord& rec, std::chrono::steady_clock::time_point started, RunStatus status, std::string reason) {
  rec.status = status;
  rec.reason = std::move(reason);
  rec.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return rec;
}

namespace {

// What one load on a running server left: the watch, wsload's result, or why it ended early.
struct LoadPhase {
  LoadWatch w;
  LoadResult loaded;
  std::optional<RunFailure> failed;
};

// The server's /proc before the load (RSS with no connection when fresh), the speed probe around
// the load, the load itself, and its window settled.
LoadPhase load_phase(const MeasureEnv& env, const MeasureRequest& req, const RunningServer& server, const fs::path& dir,
                     const std::string& counter_file, RunRecord& rec, HeldLoad* held = nullptr) {
  LoadPhase p;
  auto before = sample_process(server.server_pid);
  if (!before) {
    p.failed = RunFailure{RunStatus::Failed, "server: /proc unreadable before the load (did it exit?)"};
    return p;
  }
  p.w.sw.rss_start_kib = before->rss_kib;
  p.w.sw.rss_max_kib = before->rss_kib;
  const bool probing = judges_disturbance(env, req.pass);
  const auto probe_before = probing ? probe_core_ms(env.server_cpu) : std::nullopt;
  if ((p.failed = run_load(env, req, server, dir, counter_file, rec, p.w, p.loaded, held))) return p;
  const auto probe_after = probing ? probe_core_ms(env.server_cpu) : std::nullopt;
  settle_window(p.w, req.scenario->kind, req.pass, env, rec);
  if (rec.disturbance) {
    rec.disturbance->probe_before_ms = probe_before;
    rec.disturbance->probe_after_ms = probe_after;
  }
  return p;
}

// The record's metrics and status from what the load left. `server_death` says how the server
// ended when it died during the run.
RunStatus conclude(RunRecord& rec, const LoadPhase& p, const CountDelta& cd, const MeasureRequest& req, const MeasureEnv& env,
                   const std::string& server_death, std::string& reason) {
  const ExitStatus load_status = p.loaded.status;
  const nlohmann::json& wj = p.loaded.wsload;
  if (wj.is_object()) rec.wsload = wj;
  rec.distributed = p.loaded.distributed;
  if (!wj.is_object()) {
    reason = fmt::format("wsload {} without a JSON result: {}", load_status.describe(), last_line(p.loaded.error_text));
    return RunStatus::Failed;
  }
  compute_metrics(rec, wj, p.w.sw, cd, req.scenario->kind, env);
  if (p.w.server_died) {
    reason = "server exited during the run: " + server_death;
    return RunStatus::Failed;
  }
  if (!p.loaded.partial.empty()) {
    // Some load hosts' shares are missing: the figures are of the others, so the run is kept,
    // flagged and left out of the summary's medians (aggregate.cpp), never taken for the whole load.
    rec.flags.push_back("partial_load");
    reason = "partial load, shares missing: " + p.loaded.partial;
    return RunStatus::Errors;
  }
  // wsload exit codes (load/exit_code.hpp): 0 ok, Errors counted; anything else means no valid
  // measurement.
  if (load_status.how == ExitStatus::How::Exited && load_status.code == static_cast<int>(load::ExitCode::Errors)) {
    const std::string first = wj.contains("first_errors") && wj["first_errors"].is_array() && !wj["first_errors"].empty()
                                  ? wj["first_errors"][0].dump()
                                  : std::string("see wsload.errors");
    reason = "wsload counted errors: " + first;
    return RunStatus::Errors;
  }
  if (!load_status.ok()) {
    reason = fmt::format("wsload {}: {}", load_status.describe(), last_line(p.loaded.error_text));
    return RunStatus::Failed;
  }
  if (req.pass == RunPass::Count && !cd.measured) {
    reason = "allocation counter could not be read";
    return RunStatus::Failed;
  }
  return RunStatus::Ok;
}

// Whether a held server's runs can share one wsload --hold: wsload here (not the load hosts' shards),
// and connections that last (an idle case holds and closes them, churn reconnects).
bool holds_its_load(const MeasureEnv& env, const MeasureRequest& req, const RunRecord& rec) {
  return !env.engine && req.pass == RunPass::Time && req.scenario->kind != ScenarioKind::Idle &&
         req.scenario->kind != ScenarioKind::Churn && rec.load.churn == 0;
}

fs::path run_dir(const MeasureEnv& env, const MeasureRequest& req) {
  return env.workdir / fmt::format("{:04}-{}-{}", req.sequence, req.target->name, to_string(req.pass));
}

}  // namespace

// Phases: launch the server, start the load and watch the server while it runs, settle the
// window, stop the server, then turn what was seen into metrics and a status.
RunRecord measure_run(const MeasureEnv& env, const MeasureRequest& req) {
  if (req.target->external()) return measure_external(env, req);  // not started by wsbench
  const Target& t = *req.target;
  RunRecord rec = start_record(req);
  rec.server_args = t.takes_server_args ? req.kase->server_args : std::vector<std::string>{};
  const auto run_start = Clock::now();
  auto finish = [&](RunStatus s, std::string reason) { return finish_record(rec, run_start, s, std::move(reason)); };

  const fs::path dir = run_dir(env, req);
  const bool counting = req.pass == RunPass::Count;
  if (counting && env.counter_lib.empty()) return finish(RunStatus::Skipped, "no counter library (libwsalloc-malloccount.so not built)");
  CounterFile counter{counting ? fmt::format("/dev/shm/wsbench-{}-{}.counters", ::getpid(), req.sequence) : std::string()};
  if (counting) ::unlink(counter.path.c_str());
  auto launched = launch_server(server_launch_spec(env, t, rec, dir, counter.path));
  if (auto* f = std::get_if<LaunchFailure>(&launched)) {
    rec.server_command = f->command;
    return finish(RunStatus::Failed, "server: " + f->reason);
  }
  RunningServer& server = std::get<RunningServer>(launched);
  rec.server_command = server.command;

  LoadPhase p = load_phase(env, req, server, dir, counter.path, rec);
  if (p.failed) {
    stop_server(server, kServerStopGrace);
    return finish(p.failed->status, p.failed->reason);
  }
  StopOutcome stop = stop_and_collect_stats(env, t, server, p.w.server_died, rec);
  const CountDelta cd = counting ? count_delta(p.w, counter.path, rec) : CountDelta{};
  std::string reason;
  const RunStatus status = conclude(rec, p, cd, req, env, stop.status.describe() + " " + last_line(stop.stderr_tail), reason);
  return finish(status, std::move(reason));
}

std::variant<HeldServer, RunRecord> hold_server(const MeasureEnv& env, const MeasureRequest& req) {
  RunRecord rec = start_record(req);
  rec.server_args = req.target->takes_server_args ? req.kase->server_args : std::vector<std::string>{};
  const auto started = Clock::now();
  if (req.target->external() || req.pass != RunPass::Time) {
    return finish_record(rec, started, RunStatus::Skipped, "only a timed run on a server wsbench starts can be held");
  }
  const fs::path dir = run_dir(env, req).concat("-held");
  auto launched = launch_server(server_launch_spec(env, *req.target, rec, dir, ""));
  if (auto* f = std::get_if<LaunchFailure>(&launched)) {
    rec.server_command = f->command;
    return finish_record(rec, started, RunStatus::Failed, "server: " + f->reason);
  }
  return HeldServer{std::move(std::get<RunningServer>(launched)), req.target, rec.server_args, false, nullptr};
}

RunRecord measure_held(const MeasureEnv& env, const MeasureRequest& req, HeldServer& held) {
  RunRecord rec = start_record(req);
  rec.server_args = held.server_args;
  rec.server_command = held.server.command;
  const auto run_start = Clock::now();
  if (held.died) return finish_record(rec, run_start, RunStatus::Failed, "server: it exited during an earlier run");
  const fs::path dir = run_dir(env, req);
  std::error_code ec;
  fs::create_directories(dir, ec);  // the load's logs; the server's are in its launch's folder
  if (!held.load && holds_its_load(env, req, rec)) {
    try {
      std::vector<std::string> argv = local_wsload_argv(env, req, rec, held.server.port);
      argv.emplace_back("--hold");
      held.load = std::make_unique<HeldLoad>(std::move(argv));
    } catch (const std::exception& e) {
      fmt::print(stderr, "          held load for {} did not start ({}): a wsload per run\n", held.target->name, e.what());
    }
  }
  LoadPhase p = load_phase(env, req, held.server, dir, "", rec, held.load.get());
  if (p.failed) {
    held.died = true;  // its load is in an unknown state: no later run trusts it
    return finish_record(rec, run_start, p.failed->status, p.failed->reason);
  }
  held.died = p.w.server_died;
  std::string reason;
  const RunStatus status = conclude(rec, p, CountDelta{}, req, env, "see its stderr in " + held.server.stderr_path.string(), reason);
  return finish_record(rec, run_start, status, std::move(reason));
}

void release_held(const MeasureEnv& env, HeldServer& held, RunRecord* last) {
  if (held.load) held.load->close();  // its Close handshakes, before the server stops
  if (last) {
    stop_and_collect_stats(env, *held.target, held.server, held.died, *last);
  } else {
    stop_server(held.server, kServerStopGrace);
  }
}

}  // namespace wsalloc::bench
