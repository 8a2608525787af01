#include "bench/gate/gate_measure.hpp"

#include <unistd.h>

#include <thread>
#include <variant>

#include <fmt/core.h>

#include "bench/environment.hpp"
#include "bench/tool_run.hpp"
#include "bench/probe_client.hpp"
#include "bench/server_launch.hpp"
#include "malloccount/counters.hpp"

namespace wsalloc::bench::gate {
namespace {

using namespace std::chrono_literals;
namespace mc = wsalloc::malloccount;

std::string bin(const MeasureOptions& o, const char* name) { return (o.paths.bin_dir / name).string(); }

[[noreturn]] void tool_failed(const std::string& what, const ToolResult& r) { throw GateHarnessError(describe_failure(what, r)); }

nlohmann::json parse_json(const std::string& what, const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    throw GateHarnessError(fmt::format("{}: output is not a JSON object: \"{}\"", what, text.substr(0, 200)));
  }
  return j;
}

// ---- end to end: the server under the counter ------------------------------------------------

struct E2eWorkload {
  const char* name;
  std::vector<std::string> args;  // one connection, one message in flight: no scheduling-dependent backlog
};
const std::vector<E2eWorkload> kE2eWorkloads = {
    {"binary_32", {"-c", "1", "-k", "1", "-s", "32"}},
    {"text_512", {"-c", "1", "-k", "1", "-s", "512", "--text"}},
    {"fragmented_4k", {"-c", "1", "-k", "1", "-s", "4096", "-f", "4"}},
};
constexpr uint64_t kShortRun = 400, kLongRun = 2400;  // the marginal cost is over 2000 messages

mc::CounterSnapshot read_snapshot(const std::string& file) {
  mc::ReadError why{};
  auto s = mc::read_counters(file, why);
  if (!s) throw GateHarnessError(fmt::format("read counters {}: {}", file, mc::read_error_name(why)));
  return *s;
}

// Waits until the server's counters stop moving (its connections are closed and freed): two reads
// 100 ms apart that agree, within 3 s.
mc::CounterSnapshot quiet_snapshot(const std::string& file) {
  mc::CounterSnapshot prev = read_snapshot(file);
  for (int i = 0; i < 30; ++i) {
    std::this_thread::sleep_for(100ms);
    mc::CounterSnapshot now = read_snapshot(file);
    if (now.allocations == prev.allocations && now.frees == prev.frees) return now;
    prev = now;
  }
  throw GateHarnessError(fmt::format("counters of {} still moving 3 s after the load stopped", file));
}

// Page mappings the server's areas made (GET /stats memory.pages.maps; the arena variant maps its
// large blocks, 0 elsewhere): allocations the LD_PRELOAD counter cannot see, so they count too.
uint64_t page_maps(const RunningServer& s) {
  // Asked up to 3 times, 5 s each: one unchanged `make gate` in 20 went red (exit 2) at load 13
  // with "GET /stats on port N: no answer" after a single 2 s wait.
  auto body = http_get_retrying("127.0.0.1", s.port, "/stats", 5000ms, 3);  // start_variant listens there
  if (!body) throw GateHarnessError(fmt::format("GET /stats on port {}: no answer in 3 tries of 5 s", s.port));
  nlohmann::json j = parse_json("GET /stats", *body);
  uint64_t maps = 0;
  for (const nlohmann::json& w : j.contains("workers") ? j["workers"] : nlohmann::json::array({j})) {
    if (w.contains("memory") && w["memory"].contains("pages")) maps += w["memory"]["pages"].value("maps", uint64_t{0});
  }
  return maps;
}

uint64_t run_wsload(const MeasureOptions& o, uint16_t port, const std::vector<std::string>& extra, const std::string& tag) {
  std::vector<std::string> argv;
  if (o.pin) argv = {"taskset", "-c", "1"};
  for (std::string a : {bin(o, "wsload"), std::string("--port"), std::to_string(port), std::string("--json"),
                        std::string("-q"), std::string("--hard-timeout"), std::string("30")}) {
    argv.push_back(a);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  ToolResult r = run_tool(argv, 40s, o.workdir, tag);
  if (!r.status.ok()) tool_failed("wsload " + tag, r);
  nlohmann::json j = parse_json("wsload " + tag, r.out);
  if (j["errors"]["total"].get<uint64_t>() != 0) {
    throw GateHarnessError(fmt::format("wsload {}: errors {}", tag, j["errors"].dump()));
  }
  return j["messages"].get<uint64_t>();
}

std::variant<RunningServer, LaunchFailure> start_variant(const MeasureOptions& o, const std::string& variant,
                                                         const std::vector<std::pair<std::string, std::string>>& env,
                                                         const std::vector<std::string>& preload, int cpu,
                                                         const Target& t) {
  LaunchSpec spec;
  spec.target = &t;
  spec.env = env;
  spec.preload_first = preload;
  spec.cpu = o.pin ? cpu : -1;
  spec.workdir = o.workdir;
  spec.file_tag = "server-" + variant;
  return launch_server(spec);
}

Target variant_target(const MeasureOptions& o, const std::string& variant) {
  Target t;
  t.name = variant;
  t.argv = {bin(o, "wsalloc-server"), "--variant", variant, "--host", "{host}", "--port", "{port}"};
  return t;
}

RunningServer must_start(std::variant<RunningServer, LaunchFailure> v, const std::string& variant) {
  if (auto* f = std::get_if<LaunchFailure>(&v)) {
    throw GateHarnessError(fmt::format("start wsalloc-server --variant {}: {} ({})", variant, f->reason, f->command));
  }
  return std::move(std::get<RunningServer>(v));
}

void e2e_variant(const MeasureOptions& o, const std::string& variant, GateDoc& doc) {
  const std::string counter = fmt::format("/dev/shm/wsalloc-gate-{}-{}", ::getpid(), variant);
  const std::string preload = (o.paths.lib_dir / "libwsalloc-malloccount.so").string();
  const Target t = variant_target(o, variant);
  RunningServer s = must_start(start_variant(o, variant, {{mc::kFileEnvVar, counter}}, {preload}, 0, t), variant);
  struct Cleanup {
    RunningServer& s;
    std::string file;
    ~Cleanup() {
      stop_server(s, 5s);
      ::unlink(file.c_str());
    }
  } cleanup{s, counter};

  for (const E2eWorkload& w : kE2eWorkloads) {
    auto run = [&](uint64_t m, const char* phase) {
      std::vector<std::string> args = w.args;
      args.insert(args.end(), {"-d", "0", "-m", std::to_string(m)});
      return run_wsload(o, s.port, args, fmt::format("e2e-{}-{}-{}", variant, w.name, phase));
    };
    run(kLongRun, "warmup");  // pools, areas and tables reach their steady size
    // GET /stats allocates: each window opens after it and closes before the next one.
    const uint64_t maps0 = page_maps(s);
    const mc::CounterSnapshot c0 = quiet_snapshot(counter);
    const uint64_t m_short = run(kShortRun, "short");
    const mc::CounterSnapshot c1 = quiet_snapshot(counter);
    const uint64_t maps1 = page_maps(s);
    const mc::CounterSnapshot c1_after_get = quiet_snapshot(counter);
    const uint64_t m_long = run(kLongRun, "long");
    const mc::CounterSnapshot c2 = quiet_snapshot(counter);
    const uint64_t maps2 = page_maps(s);
    if (m_long <= m_short) {
      throw GateHarnessError(fmt::format("e2e {} {}: long run echoed {} messages, short run {}", variant, w.name,
                                         m_long, m_short));
    }
    const mc::CounterSnapshot d_short = c1 - c0, d_long = c2 - c1_after_get;
    const double extra = double(m_long - m_short);
    const double maps = double(maps2 - maps1) - double(maps1 - maps0);
    const double allocs = (double(d_long.allocations) - double(d_short.allocations) + maps) / extra;
    const double bytes = (double(d_long.bytes_allocated) - double(d_short.bytes_allocated)) / extra;
    doc.metrics[metric_key(MetricKind::E2eAllocations, variant, w.name)] =
        Metric{MetricKind::E2eAllocations, variant, allocs, "allocations/message (server, LD_PRELOAD)"};
    doc.metrics[metric_key(MetricKind::E2eBytes, variant, w.name)] =
        Metric{MetricKind::E2eBytes, variant, bytes, "bytes/message (server, LD_PRELOAD)"};
  }
}

}  // namespace

void measure_instructions(const MeasureOptions& o, GateDoc& doc) {
  InstrRunSpec spec;
  spec.program = o.paths.bin_dir / "wsalloc-instr";
  spec.workdir = o.workdir;
  spec.core = o.core;
  spec.variants = o.variants;
  std::vector<InstrCount> counts;
  try {
    counts = run_instr_counts(spec);
  } catch (const InstrCountError& e) {
    throw GateHarnessError(e.what());
  }
  for (const InstrCount& c : counts) {
    doc.metrics[metric_key(MetricKind::Instructions, c.subject, c.workload)] =
        Metric{MetricKind::Instructions, c.subject, c.instructions_per_iteration, "instructions/" + c.per};
    doc.metrics[metric_key(MetricKind::Allocations, c.subject, c.workload)] =
        Metric{MetricKind::Allocations, c.subject, c.allocations_per_iteration, "allocations/" + c.per};
    doc.metrics[metric_key(MetricKind::Bytes, c.subject, c.workload)] =
        Metric{MetricKind::Bytes, c.subject, c.bytes_allocated_per_iteration, "bytes/" + c.per};
  }
}

void measure_e2e_allocations(const MeasureOptions& o, GateDoc& doc) {
  for (const std::string& v : o.variants) e2e_variant(o, v, doc);
}

GateDoc measure_all(const MeasureOptions& o) {
  GateDoc doc;
  doc.meta = collect_meta(o.paths.repo_root);
  const auto t0 = std::chrono::steady_clock::now();
  auto lap = [&](const char* what) {
    fmt::print(stderr, "gate: {} done at {:.1f} s\n", what,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  };
  measure_instructions(o, doc);
  lap("instructions + in-process allocations (callgrind)");
  measure_e2e_allocations(o, doc);
  lap("end-to-end allocations (LD_PRELOAD)");
  finish_meta(doc.meta);
  doc.meta["gate"] = {{"variants", o.variants},
                      {"core", o.core},
                      {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}};
  return doc;
}

}  // namespace wsalloc::bench::gate
