// End to end: the real `wsbench run` binary on one tiny scenario against two targets (plus one that
// is not installed and a scenario no target can run), in seconds. Checks what a reader of the
// results relies on: the file and its schema, one record per run in interleaved order, measured
// numbers, the counting pass, and reasons for everything that did not run.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "bench/child_process.hpp"
#include "bench/results_file.hpp"
#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

using namespace std::chrono_literals;

TEST(WsbenchEndToEnd, one_scenario_two_targets_writes_complete_results) {
  testing::TempDir dir;
  testing::write_tiny_echo(dir);
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
                                "malloc,zerocopy,websocat", "--repetitions", "2", "--max-blocks", "0", "--count-duration", "0.3", "--out",
                                (dir.path() / "results").string(), "--no-instructions"},
                               120s);
  ASSERT_TRUE(st.ok()) << st.describe() << "\n" << out;
  EXPECT_NE(out.find("tiny-echo"), std::string::npos) << out;  // the summary table

  const auto latest = dir.path() / "results" / "latest" / "results.json";
  ASSERT_TRUE(std::filesystem::exists(latest)) << out;
  std::ifstream in(latest);
  nlohmann::json j = nlohmann::json::parse(in);
  auto problems = validate_results_json(j);
  EXPECT_TRUE(problems.empty()) << problems.front();

  // Blocks: all of repetition 1 (both targets in a random order, and malloc a second time, flagged
  // A′), then all of repetition 2, then the counting passes.
  std::vector<int> reps;
  std::map<int, std::multiset<std::string>> blocks;
  for (const auto& r : j["records"]) {
    if (r["status"] == "disturbed") continue;  // measured again on a busy machine: the next record stands for it
    if (r["scenario"] == "tiny-echo" && r["pass"] == "time" && r["repetition"] > 0) {
      const int rep = r["repetition"].get<int>();
      reps.push_back(rep);
      const bool repeat = std::find(r["flags"].begin(), r["flags"].end(), "reference_repeat") != r["flags"].end();
      blocks[rep].insert(r["target"].get<std::string>() + (repeat ? "′" : ""));
    }
  }
  EXPECT_TRUE(std::is_sorted(reps.begin(), reps.end())) << "a block ends before the next begins";
  const std::multiset<std::string> block = {"malloc", "malloc′", "zerocopy"};
  EXPECT_EQ(blocks[1], block);
  EXPECT_EQ(blocks[2], block);
  // The comparisons: zerocopy against malloc, and A′ against A, over the 2 blocks.
  int compared = 0;
  for (const auto& c : j["comparisons"]) {
    if (c["scenario"] != "tiny-echo" || c["metric"] != "server_cpu_us_per_msg" || c["reference"] != "malloc") continue;
    EXPECT_EQ(c["blocks"], 2) << c.dump();
    ++compared;
  }
  EXPECT_EQ(compared, 2) << j["comparisons"].dump(1);
  EXPECT_NE(out.find("Comparisons"), std::string::npos) << out;

  int measured = 0, counted = 0;
  for (const auto& r : j["records"]) {
    if (r["scenario"] != "tiny-echo" || r["status"] == "disturbed") continue;
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
  EXPECT_EQ(measured, 6);  // 2 blocks of malloc, zerocopy and malloc's A′
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
  // The instructions step, told not to run (its ~20 s of callgrind are instr_step_test's and
  // `make bench`'s): in the file and the summary as skipped with that reason, not left out.
  EXPECT_EQ(j["settings"]["instructions"], false);
  ASSERT_TRUE(j.contains("instructions"));
  EXPECT_EQ(j["instructions"]["status"], "skipped");
  EXPECT_NE(j["instructions"]["reason"].get<std::string>().find("--no-instructions"), std::string::npos);
  EXPECT_NE(out.find("instructions per message (callgrind): skipped"), std::string::npos) << out;
}

// Precision rounds: after the repetitions, rounds on held servers of malloc and the variants whose
// server-CPU ratio is still wider than the target, malloc around each variant, never more than
// --max-blocks blocks of it. A target of ±0.1 % is out of reach: the rounds go on until
// --max-blocks, the budget or the attempts run out. A target of ±100 % is met after the minimum
// of rounds. Either way the variant's server-CPU comparison with malloc is of the accepted rounds
// ("servers": "held"), and the rounds' runs are not in the summary's rows.
// The disturbance limits are off: what is checked here is how rounds are chained, bounded and
// counted. With them on, another process on CPU 0 made every held run "disturbed" and the
// comparison fell back to fresh servers: a fresh .ci/run beside a gate loop failed here, and so
// did a busy loop pinned to CPU 0 (1 of 1; with the limits off it passed 4 of 4 beside busy loops
// on CPU 0, CPU 1 and both). How a round treats a disturbed run is precision_blocks_test's.
TEST(WsbenchEndToEnd, precision_rounds_measure_malloc_and_the_imprecise_variants_on_held_servers) {
  testing::TempDir dir;
  testing::write_tiny_echo(dir);
  const std::string wsbench = std::string(WSBENCH_BIN_DIR) + "/wsbench";
  auto run = [&](const char* target, const char* out) {
    auto [st, text] = run_capture({wsbench, "--scenario-dir", (dir.path() / "scenarios").string(), "run", "--targets",
                                   "malloc,zerocopy", "--repetitions", "2", "--no-count", "--no-instructions", "--max-blocks", "4",
                                   "--precision-target", target, "--precision-budget", "30", "--max-server-wait", "1", "--max-steal", "1",
                                   "--max-core-slowdown", "1e6", "--out", (dir.path() / out).string()},
                                  150s);
    EXPECT_TRUE(st.ok()) << st.describe() << "\n" << text;
    std::ifstream in(dir.path() / out / "latest" / "results.json");
    return nlohmann::json::parse(in);
  };
  auto has = [](const nlohmann::json& r, const char* flag) {
    return std::find(r["flags"].begin(), r["flags"].end(), flag) != r["flags"].end();
  };
  // The rounds: round -> its targets in order (whatever their status); the case's chain of held
  // runs in slot order, each "target status"; and zerocopy's blocks, its measured runs (a broken
  // block's run is "disturbed").
  std::map<int, std::vector<std::string>> rounds;
  std::vector<std::string> chain;
  int blocks = 0;
  // Per target: its held windows, and those that made connections (wsload --hold connects once).
  std::map<std::string, std::pair<int, int>> windows_connecting;
  auto read_rounds = [&](const nlohmann::json& j) {
    rounds.clear();
    chain.clear();
    blocks = 0;
    windows_connecting.clear();
    std::map<int, std::map<int, std::string>> slots;
    std::map<int, std::string> chain_slots;
    for (const auto& r : j["records"]) {
      if (r["pass"] != "time" || !has(r, "held_round")) continue;
      EXPECT_GT(r["repetition"].get<int>(), 2) << "rounds come after the repetitions";
      EXPECT_NE(r["commands"]["load"].get<std::string>().find("--hold"), std::string::npos) << r["commands"].dump();
      auto& [windows, connecting] = windows_connecting[r["target"]];
      ++windows;
      if (r["wsload"].is_object() && r["wsload"].value("handshakes", 0) > 0) ++connecting;
      slots[r["repetition"].get<int>()][r["round_slot"].get<int>()] = r["target"];
      EXPECT_TRUE(chain_slots.emplace(r["round_slot"].get<int>(), r["target"].get<std::string>() + " " + r["status"].get<std::string>()).second)
          << "slots number the case's chain: each once";
      if (r["target"] == "zerocopy" && (r["status"] == "ok" || r["status"] == "errors")) ++blocks;
    }
    for (const auto& [rep, in_order] : slots)
      for (const auto& [slot, name] : in_order) rounds[rep].push_back(name);
    for (const auto& [slot, run] : chain_slots) {
      EXPECT_EQ(slot, static_cast<int>(chain.size()) + 1) << "the chain has no gaps";
      chain.push_back(run);
    }
  };
  auto server_cpu_comparison = [](const nlohmann::json& j) {
    for (const auto& c : j["comparisons"])
      if (c["target"] == "zerocopy" && c["reference"] == "malloc" && c["metric"] == "server_cpu_us_per_msg") return c;
    return nlohmann::json();
  };

  const nlohmann::json tight = run("0.001", "tight");
  EXPECT_EQ(tight["settings"]["precision_blocks"]["max_blocks"], 4);
  EXPECT_EQ(tight["settings"]["precision_blocks"]["servers"], "held");
  EXPECT_EQ(tight["settings"]["disturbance_limits"]["max_server_wait_share"], 1.0) << "the run's limits are recorded";
  EXPECT_EQ(tight["settings"]["disturbance_limits"]["max_core_slowdown"], 1e6);
  read_rounds(tight);
  EXPECT_GE(rounds.size(), 1u);
  EXPECT_LE(blocks, 4) << "never past --max-blocks";
  EXPECT_LE(rounds.size(), 8u) << "rounds are bounded even when their blocks are disturbed";
  // The first round opens with malloc; a later one with the last round's closing malloc run, unless
  // that was not measured: then it opens with malloc of its own.
  auto measured_malloc = [](const std::string& run) { return run == "malloc ok" || run == "malloc errors"; };
  size_t runs_before = 0;  // the rounds are consecutive stretches of the chain
  for (const auto& [rep, order] : rounds) {
    const std::string closed_by = runs_before ? chain[runs_before - 1] : "";  // the last round's last run
    const bool chained = measured_malloc(closed_by);
    EXPECT_EQ(order, chained ? (std::vector<std::string>{"zerocopy", "malloc"}) : (std::vector<std::string>{"malloc", "zerocopy", "malloc"}))
        << "round " << rep << " after " << closed_by;
    runs_before += order.size();
  }
  ASSERT_FALSE(chain.empty());
  EXPECT_EQ(chain.front().rfind("malloc ", 0), 0u);
  for (size_t i = 1; i < chain.size(); ++i) {
    const bool malloc_twice = chain[i].rfind("malloc ", 0) == 0 && chain[i - 1].rfind("malloc ", 0) == 0;
    EXPECT_FALSE(malloc_twice && measured_malloc(chain[i - 1])) << "malloc runs right after itself only when the run before was not measured, at " << i;
  }
  for (const auto& [target, counts] : windows_connecting) {
    EXPECT_EQ(counts.second, 1) << target << ": " << counts.first << " held windows, connected in " << counts.second;
  }
  EXPECT_GE(windows_connecting["malloc"].first, 2) << "malloc brackets every round";
  const nlohmann::json c = server_cpu_comparison(tight);
  ASSERT_TRUE(c.is_object());
  EXPECT_EQ(c["servers"], "held");
  EXPECT_EQ(c["blocks"], blocks);
  for (const auto& row : tight["summary"]) {
    if (row["target"] == "zerocopy") {
      EXPECT_EQ(row["time_runs_planned"], 2) << "the rounds are not in the rows: " << row.dump();
    }
  }

  const nlohmann::json loose = run("1.0", "loose");
  read_rounds(loose);
  EXPECT_EQ(blocks, 3) << "within ±100 % after the minimum of blocks";
  EXPECT_EQ(server_cpu_comparison(loose)["servers"], "held");
}

}  // namespace
}  // namespace wsalloc::bench
