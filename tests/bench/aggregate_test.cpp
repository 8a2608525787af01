#include "bench/aggregate.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace wsalloc::bench {
namespace {

RunRecord timed(const std::string& target, uint32_t rep, double msgs, RunStatus st = RunStatus::Ok) {
  RunRecord r;
  r.scenario = "echo-small";
  r.case_name = "default";
  r.target = target;
  r.repetition = rep;
  r.status = st;
  if (status_has_measurement(st)) r.metrics.set("msgs_per_sec", msgs);
  return r;
}

TEST(Aggregate, median_of_odd_and_even_counts) {
  auto s = spread_of({3, 1, 2});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->median, 2);
  EXPECT_EQ(s->min, 1);
  EXPECT_EQ(s->max, 3);
  EXPECT_EQ(spread_of({4, 1, 3, 2})->median, 2.5);
  EXPECT_FALSE(spread_of({}));
}

TEST(Aggregate, rows_follow_first_appearance_and_take_medians_of_time_passes) {
  std::vector<RunRecord> recs = {timed("a", 1, 100), timed("b", 1, 10), timed("a", 2, 300), timed("b", 2, 30),
                                 timed("a", 3, 200), timed("b", 3, 20)};
  RunRecord count = timed("a", 1, 0);
  count.pass = RunPass::Count;
  count.metrics = {};
  count.metrics.set("allocations_per_msg", 0.0);
  recs.push_back(count);
  auto rows = summarise(recs);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].target, "a");
  EXPECT_EQ(rows[0].metric("msgs_per_sec")->median, 200);
  EXPECT_EQ(rows[0].metric("msgs_per_sec")->n, 3u);
  ASSERT_TRUE(rows[0].metric("allocations_per_msg"));
  EXPECT_EQ(rows[0].metric("allocations_per_msg")->median, 0);
  EXPECT_EQ(rows[1].metric("msgs_per_sec")->median, 20);
  EXPECT_FALSE(rows[1].metric("allocations_per_msg"));
  EXPECT_EQ(rows[0].status, RunStatus::Ok);
}

TEST(Aggregate, the_repeated_reference_stays_out_of_its_row_and_a_failed_count_is_noted) {
  RunRecord again = timed("malloc", 1, 1000);
  again.flags.emplace_back(kReferenceRepeat);
  RunRecord count = timed("malloc", 1, 0, RunStatus::Failed);
  count.pass = RunPass::Count;
  count.reason = "allocation counter could not be read";
  auto rows = summarise({timed("malloc", 1, 100), again, timed("malloc", 2, 300), count});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].time_runs, 2u);
  EXPECT_EQ(rows[0].time_runs_planned, 2u);
  EXPECT_EQ(rows[0].metric("msgs_per_sec")->median, 200);  // 1000 (A′) left out
  EXPECT_EQ(rows[0].counter_note, "counting pass: allocation counter could not be read");
  EXPECT_EQ(rows[0].status, RunStatus::Ok);
}

// The precision rounds' runs (held servers, short windows) are for the comparisons only: the rows
// are the fresh servers' runs.
TEST(Aggregate, precision_round_runs_stay_out_of_the_rows) {
  RunRecord round = timed("pool", 4, 5000);
  round.flags.emplace_back(kHeldRound);
  auto rows = summarise({timed("pool", 1, 100), timed("pool", 2, 300), round});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].time_runs, 2u);
  EXPECT_EQ(rows[0].time_runs_planned, 2u);
  EXPECT_EQ(rows[0].metric("msgs_per_sec")->median, 200);
}

TEST(Aggregate, a_target_without_measurement_keeps_its_reason) {
  RunRecord u = timed("bun", 0, 0, RunStatus::Unavailable);
  u.reason = "not installed";
  auto rows = summarise({u});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, RunStatus::Unavailable);
  EXPECT_EQ(rows[0].reason, "not installed");
  EXPECT_EQ(rows[0].to_json()["metrics"]["msgs_per_sec"]["median"], nullptr);
}

TEST(Aggregate, partial_failures_saturation_and_wide_spread_are_flagged) {
  RunRecord f = timed("a", 3, 0, RunStatus::Failed);
  f.reason = "server: exit 1";
  RunRecord s1 = timed("a", 1, 100);
  s1.flags.push_back("load_generator_saturated");
  auto rows = summarise({s1, timed("a", 2, 200), f});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].time_runs, 2u);
  EXPECT_EQ(rows[0].time_runs_planned, 3u);
  std::string flags;
  for (auto& x : rows[0].flags) flags += x + ";";
  EXPECT_NE(flags.find("1 of 3 runs failed: server: exit 1"), std::string::npos) << flags;
  EXPECT_NE(flags.find("load_generator_saturated (1 of 2 runs)"), std::string::npos) << flags;
  EXPECT_NE(flags.find("wide_spread"), std::string::npos) << flags;
}

TEST(Aggregate, summary_json_repeats_unit_and_direction) {
  auto rows = summarise({timed("a", 1, 5)});
  nlohmann::json j = rows[0].to_json();
  EXPECT_EQ(j["metrics"]["msgs_per_sec"]["median"], 5);
  EXPECT_EQ(j["metrics"]["msgs_per_sec"]["unit"], "msg/s");
  EXPECT_EQ(j["metrics"]["msgs_per_sec"]["higher_is_better"], true);
  EXPECT_EQ(j["id"], "echo-small");
}

TEST(Aggregate, a_figure_null_on_purpose_in_every_run_keeps_its_reason) {
  std::vector<RunRecord> recs = {timed("far", 1, 100), timed("far", 2, 120), timed("near", 1, 90)};
  for (int i : {0, 1}) recs[i].metrics.set_not_measured("server_cpu_us_per_msg", "not measured: not started by wsbench");
  auto rows = summarise(recs);
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_NE(rows[0].null_reason("server_cpu_us_per_msg"), nullptr);
  EXPECT_EQ(*rows[0].null_reason("server_cpu_us_per_msg"), "not measured: not started by wsbench");
  EXPECT_EQ(rows[0].to_json()["metrics"]["server_cpu_us_per_msg"]["null_reason"], "not measured: not started by wsbench");
  EXPECT_TRUE(rows[0].to_json()["metrics"]["server_cpu_us_per_msg"]["median"].is_null());
  EXPECT_EQ(rows[1].null_reason("server_cpu_us_per_msg"), nullptr);  // merely not measured: no reason made up
  EXPECT_FALSE(rows[1].to_json()["metrics"]["server_cpu_us_per_msg"].contains("null_reason"));
}

// A run with load hosts missing measured part of the load: kept in the records, never in the medians.
TEST(Aggregate, runs_with_load_hosts_missing_stay_out_of_the_medians_and_are_flagged) {
  RunRecord partial = timed("zerocopy", 2, 10, RunStatus::Errors);
  partial.flags.push_back("partial_load");
  partial.reason = "partial load, shares missing: l2 (lost: ...)";
  auto rows = summarise({timed("zerocopy", 1, 300), partial, timed("zerocopy", 3, 100)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].metric("msgs_per_sec")->n, 2u);
  EXPECT_EQ(rows[0].metric("msgs_per_sec")->median, 200);
  EXPECT_EQ(rows[0].status, RunStatus::Ok);
  ASSERT_FALSE(rows[0].flags.empty());
  EXPECT_NE(rows[0].flags[0].find("partial_load (1 of 3 runs, left out of the medians: partial load, shares missing: l2"),
            std::string::npos)
      << rows[0].flags[0];

  rows = summarise({partial});
  EXPECT_EQ(rows[0].status, RunStatus::Errors);
  EXPECT_FALSE(rows[0].metric("msgs_per_sec"));
  EXPECT_NE(rows[0].reason.find("every measured run had load hosts missing"), std::string::npos) << rows[0].reason;
}

}  // namespace
}  // namespace wsalloc::bench

namespace wsalloc::bench {
namespace {

// The malloc variant under 64 KiB echo, some starts slow (a madvise and page faults per message):
// the row names both states and the faults, instead of a median of neither.
TEST(Aggregate, a_row_in_two_states_is_flagged_bimodal_with_both_and_its_page_faults) {
  std::vector<RunRecord> recs;
  const double msgs[] = {2600, 31000, 2400, 25000};
  for (uint32_t rep = 1; rep <= 4; ++rep) {
    RunRecord r = timed("malloc", rep, msgs[rep - 1]);
    r.metrics.set("minor_faults_per_msg", msgs[rep - 1] < 5000 ? 16.0 : 0.0002);
    recs.push_back(r);
  }
  const auto rows = summarise(recs);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(std::find(rows[0].flags.begin(), rows[0].flags.end(),
                      "bimodal msgs_per_sec: 2 runs at 2.5k (2.4k-2.6k), 2 runs at 28k (25k-31k)"),
            rows[0].flags.end())
      << ::testing::PrintToString(rows[0].flags);
  EXPECT_NE(std::find(rows[0].flags.begin(), rows[0].flags.end(), "page_faults (up to 16 per message, median 8)"),
            rows[0].flags.end())
      << ::testing::PrintToString(rows[0].flags);
  // One state, healthy: neither flag.
  for (RunRecord& r : recs) {
    r.metrics.set("msgs_per_sec", 30000);
    r.metrics.set("minor_faults_per_msg", 0.0002);
  }
  for (const std::string& f : summarise(recs)[0].flags) {
    EXPECT_EQ(f.find("bimodal"), std::string::npos) << f;
    EXPECT_EQ(f.find("page_faults"), std::string::npos) << f;
  }
}

// A disturbed run was measured again: it is neither a planned run nor a figure of its row.
TEST(Aggregate, a_disturbed_run_is_in_no_median_and_no_count) {
  RunRecord crowded = timed("a", 1, 0, RunStatus::Disturbed);
  crowded.metrics.set("msgs_per_sec", 5.0);
  crowded.reason = "the server waited 40.0 % of the window for its core (limit 5 %)";
  const std::vector<RunRecord> recs = {crowded, timed("a", 1, 100), timed("a", 2, 300)};
  const auto rows = summarise(recs);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, RunStatus::Ok);
  EXPECT_EQ(rows[0].time_runs, 2u);
  EXPECT_EQ(rows[0].time_runs_planned, 2u);
  ASSERT_NE(rows[0].metric("msgs_per_sec"), nullptr);
  EXPECT_EQ(rows[0].metric("msgs_per_sec")->median, 200);
  EXPECT_EQ(rows[0].metric("msgs_per_sec")->min, 100);
}

}  // namespace
}  // namespace wsalloc::bench
