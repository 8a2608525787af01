#include "bench/gate/gate_ab.hpp"

#include <chrono>
#include <set>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "bench/compare/block_schedule.hpp"
#include "bench/cpu_steal.hpp"
#include "bench/gate/gate_ab_rows.hpp"
#include "bench/gate/gate_measure.hpp"
#include "bench/tool_run.hpp"
#include "bench/schedstat.hpp"
#include "bench/server_launch.hpp"

namespace wsalloc::bench::gate {
namespace {

using namespace std::chrono_literals;
using compare::PairOrder;

constexpr int kServerCpu = 0, kLoadCpu = 1;
constexpr uint32_t kMaxAttempts = 3;  // a pair disturbed by steal is measured again, at most this often

// The base failing is not the candidate's fault: it ends the A/B (NotDone), not the gate.
struct BaseFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(bool base, const std::string& what) {
  if (base) throw BaseFailed("the base's " + what);
  throw GateHarnessError("A/B: the candidate's " + what);
}

struct RunPlace {
  const std::string& variant;
  bool base;
  uint32_t block;
  uint32_t attempt;
};

// One fresh server, one wsload run of fixed work, the server's CPU over wsload's life.
AbRun measure_once(const AbOptions& o, const RunPlace& at) {
  const std::string build = at.base ? "base" : "candidate";
  Target t;
  t.name = at.variant;
  t.argv = {(at.base ? o.base_server : o.candidate_server).string(), "--variant", at.variant, "--host", "{host}",
            "--port", "{port}"};
  LaunchSpec spec;
  spec.target = &t;
  spec.cpu = o.pin ? kServerCpu : -1;
  spec.workdir = o.workdir;
  spec.file_tag = fmt::format("ab-{}-{}", build, at.variant);
  auto launched = launch_server(spec);
  if (auto* f = std::get_if<LaunchFailure>(&launched)) fail(at.base, fmt::format("server did not start: {}", f->reason));
  RunningServer s = std::move(std::get<RunningServer>(launched));
  struct Stop {
    RunningServer& s;
    ~Stop() { stop_server(s, 5s); }
  } stop{s};

  std::vector<std::string> argv;
  if (o.pin) argv = {"taskset", "-c", std::to_string(kLoadCpu)};
  for (std::string& a : ab_wsload_args(o, s.port)) argv.push_back(std::move(a));
  const auto ticks0 = read_proc_stat();
  const auto sched0 = read_schedstat(s.server_pid);
  const auto t0 = std::chrono::steady_clock::now();
  const ToolResult r = run_tool(argv, 90s, o.workdir, fmt::format("ab-wsload-{}-{}-{}", build, at.variant, at.block));
  const auto t1 = std::chrono::steady_clock::now();
  const auto sched1 = read_schedstat(s.server_pid);
  const auto ticks1 = read_proc_stat();
  if (!sched0 || !sched1) fail(at.base, fmt::format("server (pid {}): /proc/PID/task/*/schedstat unreadable", s.server_pid));
  if (!r.status.ok()) {
    fail(at.base, fmt::format("run of wsload failed: {}{}", r.status.describe(), r.err_tail.empty() ? "" : " (" + r.err_tail + ")"));
  }
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("messages") || j["errors"].value("total", uint64_t{1}) != 0) {
    fail(at.base, fmt::format("server echoed wrongly or wsload printed no result: \"{}\"", r.out.substr(0, 200)));
  }
  AbRun run;
  run.variant = at.variant;
  run.build = build;
  run.block = at.block;
  run.attempt = at.attempt;
  run.messages = j["messages"].get<uint64_t>();
  const SchedStat d = schedstat_delta(*sched0, *sched1);
  run.run_ns = d.run_ns;
  run.wait_ns = d.wait_ns;
  run.slices = d.slices;
  run.wall_s = std::chrono::duration<double>(t1 - t0).count();
  run.steal_server = steal_fraction(ticks0, ticks1, kServerCpu).value_or(0);
  run.steal_load = steal_fraction(ticks0, ticks1, kLoadCpu).value_or(0);
  if (run.messages == 0 || run.run_ns == 0) fail(at.base, fmt::format("run measured {} messages in {} ns", run.messages, run.run_ns));
  return run;
}

bool disturbed(const AbRun& r, double max_steal) { return r.steal_server > max_steal || r.steal_load > max_steal; }

// Base and candidate back to back in `order`; again while steal disturbed either run.
void measure_pair(const AbOptions& o, AbSession& s, const std::string& variant, PairOrder order, uint32_t block) {
  const double max_steal = o.settings.max_steal_pct / 100;
  for (uint32_t attempt = 0;; ++attempt) {
    const bool base_first = order == PairOrder::ReferenceFirst;
    AbRun first = measure_once(o, {variant, base_first, block, attempt});
    AbRun second = measure_once(o, {variant, !base_first, block, attempt});
    const bool again = (disturbed(first, max_steal) || disturbed(second, max_steal)) && attempt + 1 < kMaxAttempts;
    s.runs.push_back(first);
    s.runs.push_back(second);
    if (again) {
      ++s.redone_pairs;
      continue;
    }
    const AbRun& base = base_first ? first : second;
    const AbRun& cand = base_first ? second : first;
    s.blocks[variant].push_back({cand.ns_per_msg(), base.ns_per_msg()});
    return;
  }
}

// `count` more blocks of `variants`, each variant's AB/BA orders balanced over them.
void run_blocks(const AbOptions& o, AbSession& s, const std::vector<std::string>& variants, size_t count,
                compare::SplitMix64& rng, const std::chrono::steady_clock::time_point& t0) {
  std::map<std::string, std::vector<PairOrder>> orders;
  for (const std::string& v : variants) orders[v] = compare::balanced_pair_orders(count, rng);
  for (size_t b = 0; b < count; ++b) {
    for (size_t i : compare::random_order(variants.size(), rng)) {
      const std::string& v = variants[i];
      measure_pair(o, s, v, orders[v][b], uint32_t(s.blocks[v].size()));
    }
    fmt::print(stderr, "gate: A/B block done ({}) at {:.1f} s\n", fmt::join(variants, ", "),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
}

std::vector<std::string> undecided(const AbSession& s, const AbSettings& settings) {
  std::vector<std::string> out;
  for (const MetricRow& r : ab_rows(s, settings)) {
    if (r.verdict == Verdict::Inconclusive) out.push_back(r.key.substr(r.key.find('/') + 1));
  }
  return out;
}

}  // namespace

std::vector<std::string> ab_wsload_args(const AbOptions& o, uint16_t port) {
  const AbSettings& a = o.settings;
  return {o.wsload.string(), "--port", std::to_string(port), "--json", "-q",
          "-c", std::to_string(a.connections), "-k", std::to_string(a.pipeline), "-s", std::to_string(a.payload),
          "-w", "0", "-d", "0", "-m", std::to_string(a.messages), "--drain", "2", "--hard-timeout", "60"};
}

AbSession run_ab(const AbOptions& o, AbSession s) {
  const auto t0 = std::chrono::steady_clock::now();
  compare::SplitMix64 rng(o.seed);
  s.seed = o.seed;
  s.workload = {{"wsload", ab_wsload_args(o, 0)}, {"server_cpu", o.pin ? kServerCpu : -1},
                {"load_cpu", o.pin ? kLoadCpu : -1}, {"metric", "server CPU ns per message (schedstat)"}};
  try {
    run_blocks(o, s, o.variants, size_t(o.settings.min_blocks), rng, t0);
    s.status = AbStatus::Done;
    for (auto more = undecided(s, o.settings); !more.empty(); more = undecided(s, o.settings)) {
      const size_t have = s.blocks[more.front()].size();
      if (have >= size_t(o.settings.max_blocks)) break;
      run_blocks(o, s, more, std::min<size_t>(2, size_t(o.settings.max_blocks) - have), rng, t0);
    }
  } catch (const BaseFailed& e) {
    s.status = AbStatus::NotDone;
    s.reason = e.what();
    s.blocks.clear();
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

}  // namespace wsalloc::bench::gate
