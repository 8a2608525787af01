#include "bench/measure_external.hpp"

#include <fstream>
#include <sstream>

#include <fmt/core.h>

#include "bench/clock_text.hpp"
#include "bench/server_launch.hpp"
#include "bench/target_url.hpp"
#include "load/exit_code.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace wsalloc::bench {
namespace {

// wsload bounds itself (its hard timeout); this is the backstop if it does not (as measure.cpp).
constexpr double kLoadBackstopMarginS = 30;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

RunRecord measure_external(const MeasureEnv& env, const MeasureRequest& req) {
  const Scenario& sc = *req.scenario;
  const Target& t = *req.target;
  RunRecord rec = start_record(req);
  const auto run_start = Clock::now();
  auto finish = [&](RunStatus s, std::string reason) { return finish_record(rec, run_start, s, std::move(reason)); };
  for (const MetricInfo& m : metric_catalogue()) {
    if (measured_on_server(m.name)) rec.metrics.set_not_measured(m.name, kNotStartedReason);
  }
  if (req.pass == RunPass::Count) return finish(RunStatus::Skipped, kNotStartedReason);

  const fs::path dir = env.workdir / fmt::format("{:04}-{}-{}", req.sequence, t.name, to_string(req.pass));
  std::error_code ec;
  fs::create_directories(dir, ec);
  SpawnSpec load;
  if (env.load_cpu >= 0) load.argv = {"taskset", "-c", std::to_string(env.load_cpu)};
  load.argv.push_back(env.wsload);
  for (std::string& a : wsload_args(rec.load, sc.kind, false, t.url_host, t.url_port)) load.argv.push_back(std::move(a));
  load.stdout_path = (dir / "wsload.json").string();
  load.stderr_path = (dir / "wsload.stderr").string();
  rec.load_command = format_command({}, load.argv);

  const double backstop_s = rec.load.warmup_s + rec.load.duration_s + kLoadBackstopMarginS +
                            static_cast<double>(rec.load.connections) / 1000.0;
  ChildProcess wsload;
  try {
    wsload = ChildProcess::spawn(load);
  } catch (const std::exception& e) {
    return finish(RunStatus::Failed, fmt::format("wsload: {}", e.what()));
  }
  if (!wsload.wait_for(std::chrono::milliseconds(static_cast<long>(backstop_s * 1000)))) {
    wsload.terminate(std::chrono::milliseconds(500));
    return finish(RunStatus::Failed, fmt::format("wsload still running after {:.0f} s (its own hard timeout did not fire)", backstop_s));
  }
  const ExitStatus st = *wsload.status();
  nlohmann::json wj = nlohmann::json::parse(slurp(load.stdout_path), nullptr, false);
  const std::string err_tail = last_line(file_tail(load.stderr_path));
  if (wj.is_discarded() || !wj.is_object()) {
    return finish(RunStatus::Failed, fmt::format("wsload {} without a JSON result: {}", st.describe(), err_tail));
  }
  rec.wsload = wj;
  fs::remove(load.stdout_path, ec);  // kept in the record

  // No server samples: compute_metrics fills the client-side figures only (ServerWindow::None).
  compute_metrics(rec, wj, ServerWindow{}, CountDelta{}, sc.kind, env);
  if (st.how == ExitStatus::How::Exited && st.code == static_cast<int>(load::ExitCode::Errors)) {
    const std::string first = wj.contains("first_errors") && wj["first_errors"].is_array() && !wj["first_errors"].empty()
                                  ? wj["first_errors"][0].dump()
                                  : std::string("see wsload.errors");
    return finish(RunStatus::Errors, "wsload counted errors: " + first);
  }
  if (!st.ok()) return finish(RunStatus::Failed, fmt::format("wsload {}: {}", st.describe(), err_tail));
  return finish(RunStatus::Ok, "");
}

}  // namespace wsalloc::bench
