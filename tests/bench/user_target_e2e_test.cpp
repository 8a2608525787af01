// End to end: servers of your own beside the built-in ones, through the real `wsbench` binary.
//
//   - the README's worked example (user_target/python-echo.toml: a Python `websockets` echo on
//     /echo, ready by its own line, port chosen by wsbench) measured beside the malloc variant, with
//     its counting pass; a target that never becomes ready reported with the last lines it printed
//     while the run goes on;
//   - `--target-url`: a server wsbench did not start gives client-side figures, and every
//     server-side figure is null with "not measured: not started by wsbench" — in results.json, the
//     summary table, report.md and the HTML report.
#include <algorithm>

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "bench/child_process.hpp"
#include "bench/metrics.hpp"
#include "bench/results_file.hpp"
#include "bench/server_launch.hpp"
#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

using namespace std::chrono_literals;

const std::string kWsbench = std::string(WSBENCH_BIN_DIR) + "/wsbench";
constexpr const char* kNotStarted = "not measured: not started by wsbench";

using testing::write_tiny_echo;

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(UserTargetEndToEnd, a_target_file_runs_beside_a_variant_and_one_that_never_gets_ready_does_not_stop_the_run) {
  testing::TempDir dir;
  write_tiny_echo(dir);
  testing::write_script(dir.path() / "never-ready.sh", "echo 'warming caches'; echo 'still warming'; exec sleep 60");
  testing::write_file(dir.path() / "never-ready.toml", R"(description = "a server that never says it is ready"
command = ["{dir}/never-ready.sh", "--port", "{port}"]
[ready]
line = "^ready"
timeout = 1
)");
  const std::string example = std::string(WSALLOC_SOURCE_DIR) + "/tests/bench/user_target/python-echo.toml";
  auto [st, out] = run_capture({kWsbench, "--scenario-dir", (dir.path() / "scenarios").string(), "run", "--targets", "malloc",
                                "--target-file", example, "--target-file", (dir.path() / "never-ready.toml").string(),
                                "--repetitions", "2", "--count-duration", "0.3", "--out", (dir.path() / "results").string(),
                                "--no-instructions"},
                               180s);
  ASSERT_TRUE(st.ok()) << st.describe() << "\n" << out;
  nlohmann::json j = read_json(dir.path() / "results" / "latest" / "results.json");
  auto problems = validate_results_json(j);
  EXPECT_TRUE(problems.empty()) << problems.front();

  std::vector<std::string> order;
  int python_counted = 0;
  for (const auto& r : j["records"]) {
    const std::string target = r["target"];
    if (target == "never-ready") {
      EXPECT_EQ(r["status"], "unavailable");
      const std::string why = r["reason"];
      EXPECT_NE(why.find("not ready within 1000 ms (no line on its stdout matched '^ready')"), std::string::npos) << why;
      EXPECT_NE(why.find("\"warming caches\" | \"still warming\""), std::string::npos) << why;
      continue;
    }
    if (r["status"] == "disturbed") continue;  // measured again on a busy machine: the next record stands for it
    ASSERT_EQ(r["status"], "ok") << r.dump(1);
    if (r["pass"] == "time") {
      order.push_back(target + "#" + std::to_string(r["repetition"].get<int>()));
      EXPECT_GT(r["metrics"]["msgs_per_sec"]["value"].get<double>(), 0) << target;
      EXPECT_GT(r["metrics"]["server_cpu_us_per_msg"]["value"].get<double>(), 0) << target;
    }
    if (target == "python-echo") {
      // Its own path, its own port: what the target file says, not wsalloc's contract.
      EXPECT_NE(r["commands"]["load"].get<std::string>().find("--path /echo"), std::string::npos) << r["commands"];
      EXPECT_NE(r["commands"]["server"].get<std::string>().find("echo_server.py --host 127.0.0.1 --port "), std::string::npos);
      if (r["pass"] == "count") {
        ++python_counted;
        EXPECT_TRUE(r["metrics"]["allocations_per_msg"]["value"].is_number()) << r.dump(1);
      }
    }
  }
  // In blocks like any other target: each repetition runs malloc (twice: A and A′) and python-echo
  // in a random order, repetition 1 before repetition 2.
  std::sort(order.begin(), order.begin() + std::min<size_t>(3, order.size()));
  if (order.size() == 6) std::sort(order.begin() + 3, order.end());
  EXPECT_EQ(order, (std::vector<std::string>{"malloc#1", "malloc#1", "python-echo#1", "malloc#2", "malloc#2",
                                             "python-echo#2"}));
  EXPECT_EQ(python_counted, 1);
  bool listed = false;
  for (const auto& t : j["targets"]) {
    if (t["name"] != "python-echo") continue;
    listed = true;
    EXPECT_EQ(t["kind"], "user");
    EXPECT_EQ(t["counter"], "libc-only");
    EXPECT_EQ(t["source"], "tests/bench/user_target/python-echo.toml");
  }
  EXPECT_TRUE(listed);
  EXPECT_NE(out.find("python-echo"), std::string::npos) << out;  // in the summary table
}

TEST(UserTargetEndToEnd, target_url_gives_client_figures_and_says_why_every_server_figure_is_null) {
  testing::TempDir dir;
  write_tiny_echo(dir);
  // A server wsbench does not start: started here, by the test.
  Target server;
  server.name = "started-by-the-test";
  server.argv = {std::string(WSBENCH_BIN_DIR) + "/wsalloc-server", "--variant", "zerocopy", "--host", "{host}", "--port", "{port}"};
  LaunchSpec ls;
  ls.target = &server;
  ls.workdir = dir.path() / "server";
  auto launched = launch_server(ls);
  ASSERT_TRUE(std::holds_alternative<RunningServer>(launched)) << std::get<LaunchFailure>(launched).reason;
  RunningServer& running = std::get<RunningServer>(launched);
  struct Stop {
    RunningServer& s;
    ~Stop() { stop_server(s, 5000ms); }
  } stop{running};

  const std::string url = "far=ws://127.0.0.1:" + std::to_string(running.port) + "/";
  auto [st, out] = run_capture({kWsbench, "--scenario-dir", (dir.path() / "scenarios").string(), "run", "--targets", "none",
                                "--target-url", url, "--repetitions", "2", "--out", (dir.path() / "results").string(),
                                "--no-instructions"},
                               120s);
  ASSERT_TRUE(st.ok()) << st.describe() << "\n" << out;
  const auto run_dir = dir.path() / "results" / "latest";
  nlohmann::json j = read_json(run_dir / "results.json");
  auto problems = validate_results_json(j);
  EXPECT_TRUE(problems.empty()) << problems.front();

  int timed = 0;
  for (const auto& r : j["records"]) {
    ASSERT_EQ(r["target"], "far");
    ASSERT_EQ(r["pass"], "time") << "no counting pass: nothing to preload into";
    ASSERT_EQ(r["status"], "ok") << r.dump(1);
    ++timed;
    const auto& m = r["metrics"];
    EXPECT_GT(m["msgs_per_sec"]["value"].get<double>(), 0);
    EXPECT_GT(m["latency_p50_us"]["value"].get<double>(), 0);
    for (const MetricInfo& info : metric_catalogue()) {
      if (!measured_on_server(info.name)) continue;
      const auto& v = m[std::string(info.name)];
      EXPECT_TRUE(v["value"].is_null()) << info.name << " must be null, never 0";
      EXPECT_EQ(v["null_reason"], kNotStarted) << info.name;
    }
    EXPECT_TRUE(r["commands"]["server"].is_null());
  }
  EXPECT_EQ(timed, 2);
  ASSERT_EQ(j["summary"].size(), 1u);
  const auto& row = j["summary"][0];
  EXPECT_GT(row["metrics"]["msgs_per_sec"]["median"].get<double>(), 0);
  EXPECT_TRUE(row["metrics"]["server_cpu_us_per_msg"]["median"].is_null());
  EXPECT_EQ(row["metrics"]["server_cpu_us_per_msg"]["null_reason"], kNotStarted);
  EXPECT_EQ(row["metrics"]["allocations_per_msg"]["null_reason"], kNotStarted);
  EXPECT_EQ(j["targets"][0]["kind"], "external");
  EXPECT_EQ(j["targets"][0]["counter"], "not-started");

  // The summary table wsbench prints.
  EXPECT_NE(out.find("[server side not measured: not started by wsbench]"), std::string::npos) << out;

  // report.md and the HTML report.
  auto [rst, rout] = run_capture({kWsbench, "report", (run_dir / "results.json").string(), "-o", (dir.path() / "r.html").string(),
                                  "--markdown", (dir.path() / "r.md").string(), "--quiet"},
                                 60s);
  ASSERT_TRUE(rst.ok()) << rst.describe() << "\n" << rout;
  const std::string md = slurp(dir.path() / "r.md");
  EXPECT_NE(md.find("| far | external | "), std::string::npos) << md;
  EXPECT_NE(md.find(" | not measured: not started by wsbench | not measured: not started by wsbench |"), std::string::npos) << md;
  const std::string html = slurp(dir.path() / "r.html");
  EXPECT_NE(html.find("data-target=\"far\" data-metric=\"server_cpu_us_per_msg\" title=\"not measured: not started by "
                      "wsbench\">not measured: not started by wsbench</td>"),
            std::string::npos);
}

}  // namespace
}  // namespace wsalloc::bench
