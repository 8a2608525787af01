// End to end: the real `wsbench run` binary on one tiny scenario against two targets (plus one that
// is not installed and a scenario no target can run), in seconds. Checks what a reader of the
// results relies on: the file and its schema, one record per run in interleaved order, measured
// numbers, the counting pass, and reasons for everything that did not run.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "bench/child_process.hpp"
#include "bench/results_file.hpp"
#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

using namespace std::chrono_literals;

TEST(WsbenchEndToEnd, one_scenario_two_targets_writes_complete_results) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "scenarios" / "tiny-echo.toml", R"(
description = "32-byte echo, 10 connections, for the test suite"
kind = "echo"
[load]
connections = 10
payload = 32
duration = 0.3
warmup = 0.1
)");
  testing::write_file(dir.path() / "scenarios" / "tiny-needs-flag.toml", R"(
description = "a scenario needing a server flag no server has"
kind = "executor"
needs = "a flag that does not exist"
[requires]
server_flags = ["--wsbench-test-no-such-flag"]
[[case]]
name = "x"
server_args = ["--wsbench-test-no-such-flag"]
)");
  const std::string wsbench = std::string(WSBENCH_BIN_DIR) + "/wsbench";
  auto [st, out] = run_capture({wsbench, "--scenario-dir", (dir.path() / "scenarios").string(), "run", "--targets",
                                "malloc,zerocopy,websocat", "--repetitions", "2", "--count-duration", "0.3", "--out",
                                (dir.path() / "results").string()},
                               120s);
  ASSERT_TRUE(st.ok()) << st.describe() << "\n" << out;
  EXPECT_NE(out.find("tiny-echo"), std::string::npos) << out;  // the summary table

  const auto latest = dir.path() / "results" / "latest" / "results.json";
  ASSERT_TRUE(std::filesystem::exists(latest)) << out;
  std::ifstream in(latest);
  nlohmann::json j = nlohmann::json::parse(in);
  auto problems = validate_results_json(j);
  EXPECT_TRUE(problems.empty()) << problems.front();

  // Interleaved: repetition 1 of both targets, then repetition 2, then the counting passes.
  std::vector<std::string> order;
  for (const auto& r : j["records"]) {
    if (r["scenario"] == "tiny-echo" && r["pass"] == "time" && r["repetition"] > 0) {
      order.push_back(r["target"].get<std::string>() + "#" + std::to_string(r["repetition"].get<int>()));
    }
  }
  EXPECT_EQ(order, (std::vector<std::string>{"malloc#1", "zerocopy#1", "malloc#2", "zerocopy#2"}));

  int measured = 0, counted = 0;
  for (const auto& r : j["records"]) {
    if (r["scenario"] != "tiny-echo") continue;
    if (r["target"] == "websocat") {
      EXPECT_EQ(r["status"], "unavailable");
      EXPECT_NE(r["reason"].get<std::string>().find("not on PATH"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(r["status"] == "ok") << r.dump(1);
    EXPECT_NE(r["commands"]["server"].get<std::string>().find("wsalloc-server"), std::string::npos);
    EXPECT_NE(r["commands"]["load"].get<std::string>().find("wsload"), std::string::npos);
    if (r["pass"] == "time") {
      ++measured;
      EXPECT_GT(r["metrics"]["msgs_per_sec"]["value"].get<double>(), 0);
      EXPECT_GT(r["metrics"]["server_cpu_us_per_msg"]["value"].get<double>(), 0);
      EXPECT_GT(r["metrics"]["rss_start_kib"]["value"].get<double>(), 0);
      EXPECT_TRUE(r["metrics"]["allocations_per_msg"]["value"].is_null());
    } else {
      ++counted;
      EXPECT_TRUE(r["metrics"]["allocations_per_msg"]["value"].is_number()) << r.dump(1);
      EXPECT_TRUE(r["counters"].is_object());
    }
  }
  EXPECT_EQ(measured, 4);
  EXPECT_EQ(counted, 2);

  // The scenario no server can run is reported as skipped with the reason, never a silent pass.
  int skipped = 0;
  for (const auto& r : j["summary"]) {
    if (r["scenario"] != "tiny-needs-flag" || r["target"] == "websocat") continue;
    EXPECT_EQ(r["status"], "skipped");
    EXPECT_NE(r["reason"].get<std::string>().find("--help lists no --wsbench-test-no-such-flag"), std::string::npos)
        << r["reason"];
    ++skipped;
  }
  EXPECT_EQ(skipped, 2);
  EXPECT_TRUE(j["meta"]["git"]["sha"].is_string());
  EXPECT_EQ(j["settings"]["pinning"]["server_cpu"], 0);
}

}  // namespace
}  // namespace wsalloc::bench
