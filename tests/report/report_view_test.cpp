#include "bench/report/report_view.hpp"

#include <gtest/gtest.h>

#include "report_test_support.hpp"

#ifdef REPORT_HAVE_BENCH_VALIDATOR
#include "bench/results_file.hpp"
#endif

using nlohmann::json;
using namespace report_test;

namespace {

const json& scenario(const json& view, const std::string& id) {
  for (const auto& s : view["scenarios"]) {
    if (s["id"] == id) return s;
  }
  static const json none;
  ADD_FAILURE() << "no scenario " << id;
  return none;
}

const json& verdict(const json& view, const std::string& id) {
  for (const auto& v : view["verdict"]) {
    if (v["id"] == id) return v;
  }
  static const json none;
  ADD_FAILURE() << "no verdict for " << id;
  return none;
}

}  // namespace

#ifdef REPORT_HAVE_BENCH_VALIDATOR
TEST(ReportFixture, fixture_files_pass_the_wsbench_results_validator) {
  for (const char* f : {"results.json", "baseline.json"}) {
    const auto problems = wsalloc::bench::validate_results_json(wsalloc::report::read_results_file(fixture(f)));
    EXPECT_TRUE(problems.empty()) << f << ": " << (problems.empty() ? "" : problems.front());
  }
}
#endif

TEST(ReportView, every_summary_median_min_max_is_copied_unchanged_nulls_stay_null) {
  const json res = results();
  const json view = fixture_view();
  size_t compared = 0;
  for (const auto& s : view["scenarios"]) {
    for (const auto& row : s["rows"]) {
      const json* src = summary_row(res, s["id"], row["target"]);
      ASSERT_NE(src, nullptr);
      EXPECT_EQ(row["status"], (*src)["status"]);
      if (row["status"] != "ok") continue;
      for (auto it = (*src)["metrics"].begin(); it != (*src)["metrics"].end(); ++it) {
        for (const char* k : {"median", "min", "max"}) {
          EXPECT_EQ(row["m"][it.key()][k], it.value()[k]) << s["id"] << " " << row["target"] << " " << it.key() << " " << k;
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, 11u * 34u * 3u);  // 11 measured rows x 34 metrics x median/min/max
}

TEST(ReportView, verdict_picks_the_variant_with_most_messages_per_server_cpu_second) {
  const json view = fixture_view();
  const json& v = verdict(view, "echo-small");
  EXPECT_EQ(v["metric"], "msgs_per_server_cpu_sec");
  EXPECT_EQ(v["best"], "zerocopy");
  EXPECT_EQ(v["median"], 300000);
  EXPECT_DOUBLE_EQ(v["vs_malloc"].get<double>(), 1.2);
  EXPECT_EQ(v["runner_up"], "arena");
  EXPECT_EQ(v["decisive"], true);  // zerocopy min 290,000 > arena max 285,000
}

TEST(ReportView, verdict_ignores_reference_servers_even_when_faster) {
  // rawecho (400,000 msg/cpu-s) is the ceiling, not a memory variant.
  const json view = fixture_view();
  EXPECT_NE(verdict(view, "echo-small")["best"], "rawecho");
}

TEST(ReportView, idle_verdict_falls_back_to_lowest_rss_per_connection) {
  const json view = fixture_view();
  const json& v = verdict(view, "idle-10k");
  EXPECT_EQ(v["metric"], "rss_per_conn_bytes");
  EXPECT_EQ(v["best"], "zerocopy");
  EXPECT_EQ(v["median"], 520);
}

TEST(ReportView, summary_table_ratios_are_to_malloc_and_to_rawecho_of_the_same_run) {
  const json view = fixture_view();
  const json& row = view["summary_table"]["rows"][0];
  ASSERT_EQ(row["id"], "echo-small");
  EXPECT_DOUBLE_EQ(row["cells"]["zerocopy"]["ratio_malloc"].get<double>(), 250000.0 / 200000.0);
  EXPECT_DOUBLE_EQ(row["cells"]["zerocopy"]["ratio_raw"].get<double>(), 250000.0 / 320000.0);
  EXPECT_EQ(row["raw_msgs_per_sec"], 320000);
  // idle-10k has no throughput: its ratios are absent (null), not 0.
  const json& idle = view["summary_table"]["rows"][1];
  ASSERT_EQ(idle["id"], "idle-10k");
  EXPECT_TRUE(idle["cells"]["malloc"]["ratio_malloc"].is_null());
  EXPECT_TRUE(idle["cells"]["malloc"]["msgs_per_sec"].is_null());
}

TEST(ReportView, charts_are_planned_only_for_metrics_some_target_measured) {
  const json view = fixture_view();
  auto kinds = [](const json& s) {
    std::vector<std::string> k;
    for (const auto& c : s["charts"]) k.push_back(c.value("metric", c["type"].get<std::string>()));
    return k;
  };
  EXPECT_EQ(kinds(scenario(view, "echo-small")),
            (std::vector<std::string>{"msgs_per_sec", "server_cpu_us_per_msg", "allocations_per_msg",
                                      "alloc_bytes_per_msg", "latency", "costs"}));  // costs: faults measured
  EXPECT_EQ(kinds(scenario(view, "idle-10k")),
            (std::vector<std::string>{"allocations_per_conn", "rss_per_conn_bytes"}));
}

TEST(ReportView, allocator_comparison_is_relative_to_glibc_malloc) {
  const json view = fixture_view();
  const json& a = view["allocators"];
  EXPECT_EQ(a["targets"], (json{"malloc", "malloc+jemalloc"}));
  ASSERT_EQ(a["rows"].size(), 1u);  // idle-10k did not run the allocator targets
  EXPECT_DOUBLE_EQ(a["rows"][0]["cells"]["malloc+jemalloc"]["ratio_glibc"].get<double>(), 262500.0 / 250000.0);
}

TEST(ReportView, baseline_deltas_are_coloured_by_each_metrics_direction) {
  const json b = fixture_view()["baseline"];
  auto cell = [&](const std::string& target, const std::string& metric) -> json {
    for (const auto& r : b["rows"]) {
      if (r["id"] == "echo-small" && r["target"] == target) return r["cells"][metric];
    }
    return nullptr;
  };
  EXPECT_EQ(cell("zerocopy", "msgs_per_sec")["direction"], "better");  // 200,000 -> 250,000, higher is better
  EXPECT_DOUBLE_EQ(cell("zerocopy", "msgs_per_sec")["delta_pct"].get<double>(), 25.0);
  EXPECT_EQ(cell("malloc", "msgs_per_sec")["direction"], "same");      // -4.8 % is inside the 5 % threshold
  EXPECT_EQ(cell("beast", "allocations_per_msg")["direction"], "worse");  // 2 -> 3, lower is better
  EXPECT_EQ(cell("pool", "allocations_per_msg")["direction"], "same");   // 0 -> 2e-5 is ≈0 both times
  EXPECT_EQ(cell("malloc+jemalloc", "allocations_per_msg")["direction"], "n/a");  // not measured either time
  ASSERT_EQ(b["regressions"].size(), 1u);
  EXPECT_EQ(b["regressions"][0]["target"], "beast");
  EXPECT_EQ(b["regressions"][0]["metric"], "allocations_per_msg");
  ASSERT_EQ(b["missing"].size(), 1u);
  EXPECT_EQ(b["missing"][0]["target"], "bun");
}

TEST(ReportView, without_a_baseline_the_comparison_is_null) {
  EXPECT_TRUE(fixture_view(false)["baseline"].is_null());
}

TEST(ReportView, a_file_that_is_not_a_results_file_is_refused_naming_it) {
  const json other = {{"schema", "something-else"}};
  wsalloc::report::ViewInputs in;
  in.results = &other;
  in.results_name = "other.json";
  try {
    wsalloc::report::build_report_view(in);
    FAIL() << "accepted a non-results file";
  } catch (const wsalloc::report::ReportInputError& e) {
    EXPECT_NE(std::string(e.what()).find("other.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("something-else"), std::string::npos) << e.what();
  }
}

TEST(ReportView, reproduce_lists_each_targets_first_timed_commands) {
  const json c = fixture_view()["commands"];
  EXPECT_EQ(c["run"], "wsbench run --quick");
  ASSERT_EQ(c["rows"].size(), 11u);  // measured rows only; unavailable ones have no command
  EXPECT_EQ(c["rows"][0]["server"], "taskset -c 0 build/bin/wsalloc-server --variant malloc --host 127.0.0.1 --port 0");
}

TEST(ReportView, a_count_that_rises_from_zero_is_a_regression_without_a_percentage) {
  json base = baseline(), now = results();
  for (auto& r : now["summary"]) {
    if (r["id"] == "echo-small" && r["target"] == "zerocopy") r["metrics"]["allocations_per_msg"]["median"] = 0.5;
  }
  wsalloc::report::ViewInputs in;
  in.results = &now;
  in.baseline = &base;
  const json b = wsalloc::report::build_report_view(in)["baseline"];
  bool found = false;
  for (const auto& r : b["regressions"]) {
    if (r["target"] == "zerocopy" && r["metric"] == "allocations_per_msg") {
      found = true;
      EXPECT_TRUE(r["delta_pct"].is_null());
      EXPECT_EQ(r["base"], 0.0);
      EXPECT_EQ(r["current"], 0.5);
    }
  }
  EXPECT_TRUE(found) << b["regressions"].dump();
}
