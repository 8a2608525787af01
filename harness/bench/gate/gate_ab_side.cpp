#include "bench/gate/gate_ab_side.hpp"

#include <chrono>
#include <system_error>
#include <variant>

#include <fmt/core.h>

#include "bench/gate/gate_measure.hpp"
#include "bench/schedstat.hpp"

namespace wsalloc::bench::gate {
namespace {

using namespace std::chrono_literals;

// A fresh server's first window pays for first touches (its buffers' pages, the allocators'
// growth) and its set-up: 1.4-2.1x the CPU per message of the window after it here, depending on
// the variant. One window warms it; the later ones are measured.
constexpr int kWarmupWindows = 1;
// A window ends when its messages are echoed (a few hundred ms); the duration is only a cap.
constexpr double kWindowCapS = 30;

}  // namespace

void AbSide::fail(const std::string& what) const {
  if (run_.build == "base") throw BaseFailed("the base's " + what);
  throw GateHarnessError("A/B: the candidate's " + what);
}

AbSide::AbSide(const AbOptions& o, const SidePlace& at) : o_(o) {
  run_.variant = at.variant;
  run_.build = at.base ? "base" : "candidate";
  run_.block = at.block;
  run_.attempt = at.attempt;
  Target t;
  t.name = at.variant;
  t.argv = {(at.base ? o.base_server : o.candidate_server).string(), "--variant", at.variant, "--host", "{host}",
            "--port", "{port}"};
  LaunchSpec spec;
  spec.target = &t;
  spec.cpu = o.pin ? kAbServerCpu : -1;
  spec.workdir = o.workdir;
  spec.file_tag = fmt::format("ab-{}-{}", run_.build, at.variant);
  auto launched = launch_server(spec);
  if (auto* f = std::get_if<LaunchFailure>(&launched)) fail(fmt::format("server did not start: {}", f->reason));
  server_ = std::move(std::get<RunningServer>(launched));
  std::vector<std::string> argv;
  if (o.pin) argv = {"taskset", "-c", std::to_string(kAbLoadCpu)};
  for (std::string& a : ab_wsload_args(o, server_.port)) argv.push_back(std::move(a));
  try {
    try {
      load_.emplace(std::move(argv));
    } catch (const std::system_error& e) {
      fail(fmt::format("wsload did not start: {}", e.what()));
    }
    for (int w = 0; w < kWarmupWindows; ++w) held_window("warm-up");
  } catch (...) {  // a constructor that throws runs no destructor: stop what was started here
    load_.reset();
    stop_server(server_, 5s);
    throw;
  }
}

AbSide::~AbSide() {
  load_.reset();  // ~HeldLoad: end of input, wsload closes its connections and exits
  stop_server(server_, 5s);
}

nlohmann::json AbSide::held_window(const char* which) {
  const auto run = load_->window(0, kWindowCapS);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(int(kWindowCapS) + 10);
  while (!run->wait(100ms)) {
    run->take_markers();  // not used: the window is bracketed by its command and "window done"
    if (std::chrono::steady_clock::now() > give_up) {
      run->abort();
      fail(fmt::format("{} window of wsload did not end", which));
    }
  }
  const LoadResult r = run->finish();
  if (!r.status.ok() || !r.wsload.is_object()) {
    fail(fmt::format("{} window of wsload failed: {}{}", which, r.status.describe(),
                     r.error_text.empty() ? "" : " (" + r.error_text + ")"));
  }
  const nlohmann::json& j = r.wsload;
  if (j.value("messages", uint64_t{0}) != o_.settings.messages || j["errors"].value("total", uint64_t{1}) != 0) {
    fail(fmt::format("server echoed wrongly in the {} window: {}", which, j.dump().substr(0, 300)));
  }
  return j;
}

double AbSide::measure_window() {
  const auto sched0 = read_schedstat(server_.server_pid);
  const auto t0 = std::chrono::steady_clock::now();
  const nlohmann::json j = held_window("measured");
  const auto t1 = std::chrono::steady_clock::now();
  const auto sched1 = read_schedstat(server_.server_pid);
  if (!sched0 || !sched1) fail(fmt::format("server (pid {}): /proc/PID/task/*/schedstat unreadable", server_.server_pid));
  const SchedStat d = schedstat_delta(*sched0, *sched1);
  if (d.run_ns == 0) fail(fmt::format("server (pid {}) used no CPU over a window of {} messages", server_.server_pid,
                                      o_.settings.messages));
  const uint64_t messages = j["messages"].get<uint64_t>();
  run_.messages += messages;
  run_.run_ns += d.run_ns;
  run_.wait_ns += d.wait_ns;
  run_.slices += d.slices;
  run_.wall_s += std::chrono::duration<double>(t1 - t0).count();
  run_.window_ns.push_back(double(d.run_ns) / double(messages));
  return run_.window_ns.back();
}

}  // namespace wsalloc::bench::gate
