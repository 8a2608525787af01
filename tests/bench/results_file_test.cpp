#include "bench/results_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "bench/environment.hpp"
#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

ResultsContent sample_content(const Scenario& s) {
  ResultsContent c;
  c.meta = collect_meta(WSALLOC_SOURCE_DIR);
  finish_meta(c.meta);
  c.settings = {{"quick", true}};
  Target t;
  t.name = "zerocopy";
  Target u;
  u.name = "bun";
  u.available = false;
  u.reason = "not installed";
  c.targets = {t, u};
  c.scenarios = {&s};
  RunRecord ok;
  ok.scenario = s.name;
  ok.case_name = "default";
  ok.target = "zerocopy";
  ok.repetition = 1;
  ok.status = RunStatus::Ok;
  ok.server_command = "taskset -c 0 wsalloc-server --variant zerocopy";
  ok.metrics.set("msgs_per_sec", 123456.0);
  ok.metrics.set("server_cpu_us_per_msg", 3.2);
  RunRecord missing = ok;
  missing.target = "bun";
  missing.repetition = 0;
  missing.status = RunStatus::Unavailable;
  missing.reason = "not installed";
  missing.metrics = {};
  c.records = {ok, missing};
  return c;
}

Scenario sample_scenario() {
  Scenario s = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n", "scenarios/echo-small.toml");
  return s;
}

TEST(ResultsFile, built_file_passes_the_schema_check) {
  Scenario s = sample_scenario();
  nlohmann::json j = build_results_json(sample_content(s));
  auto problems = validate_results_json(j);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(j["schema"], "wsalloc-bench-results");
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_TRUE(j["meta"]["git"].contains("sha"));
  EXPECT_TRUE(j["meta"]["git"]["dirty"].is_boolean());
  EXPECT_FALSE(j["meta"]["cpu"]["model"].get<std::string>().empty());
  EXPECT_FALSE(j["meta"]["glibc"].get<std::string>().empty());
  EXPECT_TRUE(j["meta"]["load_average"]["end"].is_array());
  EXPECT_EQ(j["metrics"]["msgs_per_sec"]["unit"], "msg/s");
  ASSERT_EQ(j["records"].size(), 2u);
  EXPECT_EQ(j["records"][0]["metrics"]["msgs_per_sec"]["value"], 123456.0);
  EXPECT_EQ(j["records"][0]["metrics"]["msgs_per_sec"]["higher_is_better"], true);
  EXPECT_EQ(j["records"][0]["metrics"]["server_cpu_us_per_msg"]["unit"], "us/msg");
  EXPECT_EQ(j["records"][0]["metrics"]["server_cpu_us_per_msg"]["higher_is_better"], false);
  EXPECT_EQ(j["records"][1]["status"], "unavailable");
  EXPECT_EQ(j["records"][1]["reason"], "not installed");
  ASSERT_EQ(j["summary"].size(), 2u);
  EXPECT_EQ(j["summary"][0]["metrics"]["msgs_per_sec"]["median"], 123456.0);
  EXPECT_EQ(j["summary"][1]["status"], "unavailable");
  EXPECT_EQ(j["targets"][1]["available"], false);
  EXPECT_EQ(j["scenarios"][0]["name"], "echo-small");
}

// A checkpoint (written during the run) keeps every record and the summary and says what it is;
// the comparisons, whose intervals take seconds to compute, come with the final file only.
TEST(ResultsFile, a_checkpoint_keeps_the_records_and_leaves_the_comparisons_to_the_end) {
  Scenario s = sample_scenario();
  const nlohmann::json checkpoint = build_results_json(sample_content(s), ResultsDetail::Checkpoint);
  const auto problems = validate_results_json(checkpoint);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(checkpoint.value("checkpoint", false), true);
  EXPECT_EQ(checkpoint["records"].size(), 2u);
  EXPECT_EQ(checkpoint["summary"].size(), 2u);
  EXPECT_FALSE(checkpoint.contains("comparisons"));
  EXPECT_FALSE(checkpoint.contains("precision"));
  const nlohmann::json final_file = build_results_json(sample_content(s));
  EXPECT_FALSE(final_file.contains("checkpoint"));
  EXPECT_TRUE(final_file["comparisons"].is_array());
  EXPECT_TRUE(final_file.contains("precision"));
}

TEST(ResultsFile, schema_check_catches_what_a_reader_would_trip_on) {
  Scenario s = sample_scenario();
  nlohmann::json j = build_results_json(sample_content(s));
  nlohmann::json no_sha = j;
  no_sha["meta"]["git"].erase("sha");
  EXPECT_FALSE(validate_results_json(no_sha).empty());
  nlohmann::json no_unit = j;
  no_unit["records"][0]["metrics"]["msgs_per_sec"].erase("unit");
  EXPECT_FALSE(validate_results_json(no_unit).empty());
  nlohmann::json silent = j;
  silent["records"][1]["reason"] = nullptr;  // a missing target without a reason
  auto p = validate_results_json(silent);
  ASSERT_FALSE(p.empty());
  EXPECT_NE(p[0].find("without a reason"), std::string::npos) << p[0];
}

TEST(ResultsFile, schema_check_names_the_place_in_meta_summary_and_comparisons) {
  Scenario s = sample_scenario();
  const nlohmann::json j = build_results_json(sample_content(s));
  auto has = [](const std::vector<std::string>& problems, const std::string& text) {
    return std::find(problems.begin(), problems.end(), text) != problems.end();
  };
  nlohmann::json bad = j;
  bad["meta"]["git"]["dirty"] = "yes";
  bad["summary"][1].erase("target");
  EXPECT_TRUE(has(validate_results_json(bad), "meta.git: \"dirty\" has type string"));
  EXPECT_TRUE(has(validate_results_json(bad), "summary[1]: missing \"target\""));

  nlohmann::json not_array = j;
  not_array["comparisons"] = nlohmann::json::object();
  EXPECT_TRUE(has(validate_results_json(not_array), "top: comparisons is not an array"));

  nlohmann::json comparison = j;
  comparison["comparisons"] = nlohmann::json::array({{{"scenario", "echo-small"}, {"case", "default"}, {"target", "zerocopy"},
                                                      {"reference", "malloc"}, {"metric", "msgs_per_sec"}, {"verdict", "faster"},
                                                      {"ratio", 1.2}, {"blocks", 3u}, {"ci_low", 1.1}, {"ci_high", nullptr}}});
  EXPECT_TRUE(validate_results_json(comparison).empty()) << validate_results_json(comparison).front();
  comparison["comparisons"][0]["ratio"] = "1.2";
  comparison["comparisons"][0].erase("ci_low");
  const auto p = validate_results_json(comparison);
  EXPECT_TRUE(has(p, "comparisons[0]: \"ratio\" has type string"));
  EXPECT_TRUE(has(p, "comparisons[0]: ci_low missing or not a number/null"));
  EXPECT_TRUE(validate_results_json(nlohmann::json::array()) == std::vector<std::string>{"not a JSON object"});
}

// The instructions step's section (instr_step.hpp): optional, complete when there.
TEST(ResultsFile, schema_check_reads_the_instructions_section_when_there) {
  Scenario s = sample_scenario();
  ResultsContent content = sample_content(s);
  const nlohmann::json without = build_results_json(content);
  EXPECT_FALSE(without.contains("instructions"));  // not run: not written, and an older file is valid
  EXPECT_TRUE(validate_results_json(without).empty());
  content.instructions = {{"status", "measured"}, {"reason", nullptr}, {"valgrind", "valgrind-3.19.0"}, {"seconds", 23.1},
                          {"workloads", nlohmann::json::array({{{"workload", "echo_32"}, {"subject", "malloc"},
                                                               {"per", "message"}, {"unit", "instructions/message"},
                                                               {"instructions_per_iteration", 1529},
                                                               {"allocations_per_iteration", 3},
                                                               {"bytes_allocated_per_iteration", 96}}})}};
  nlohmann::json j = build_results_json(content);
  ASSERT_TRUE(j.contains("instructions"));
  EXPECT_TRUE(validate_results_json(j).empty()) << validate_results_json(j).front();
  j["instructions"]["workloads"][0].erase("unit");
  j["instructions"]["workloads"][0]["instructions_per_iteration"] = "1529";
  auto p = validate_results_json(j);
  EXPECT_NE(std::find(p.begin(), p.end(), "instructions.workloads[0]: missing \"unit\""), p.end());
  EXPECT_NE(std::find(p.begin(), p.end(), "instructions.workloads[0]: \"instructions_per_iteration\" has type string"), p.end());
  j["instructions"] = {{"status", "skipped"}, {"workloads", nlohmann::json::array()}};
  p = validate_results_json(j);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "instructions: status skipped without a reason");
  j["instructions"] = {{"status", "measured"}, {"workloads", nlohmann::json::array()}};
  EXPECT_EQ(validate_results_json(j), std::vector<std::string>{"instructions: measured, but no workloads"});
}

TEST(ResultsFile, run_dirs_are_unique_and_latest_points_at_the_newest) {
  testing::TempDir root;
  auto a = create_run_dir(root.path(), "abc1234", false);
  auto b = create_run_dir(root.path(), "abc1234", true);
  auto c = create_run_dir(root.path(), "abc1234", true);
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_NE(a.filename().string().find("-abc1234"), std::string::npos);
  EXPECT_NE(b.filename().string().find("-abc1234-dirty"), std::string::npos);
  EXPECT_EQ(a.parent_path().filename(), "runs");
  update_latest_link(root.path(), a);
  update_latest_link(root.path(), b);
  EXPECT_EQ(std::filesystem::canonical(root.path() / "latest"), std::filesystem::canonical(b));
  EXPECT_TRUE(std::filesystem::read_symlink(root.path() / "latest").is_relative());
}

TEST(ResultsFile, atomic_write_leaves_a_complete_file) {
  testing::TempDir root;
  write_json_atomic(root.path() / "r.json", {{"a", 1}});
  write_json_atomic(root.path() / "r.json", {{"a", 2}});
  std::ifstream in(root.path() / "r.json");
  EXPECT_EQ(nlohmann::json::parse(in)["a"], 2);
  EXPECT_FALSE(std::filesystem::exists(root.path() / "r.json.tmp"));
}

}  // namespace
}  // namespace wsalloc::bench
