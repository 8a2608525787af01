#include "bench/latency_rate.hpp"

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

TEST(LatencyRate, the_rate_is_calibrated_against_rawecho_when_it_ran) {
  // wsload spends 8 us per message against rawecho: 60 % of its core is 75,000 msg/s.
  const auto r = calibrate_rate({{"malloc", 9.0}, {"rawecho", 8.0}, {"beast", 12.0}});
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->rate, 75000);
  EXPECT_NE(r->source.find("against rawecho"), std::string::npos) << r->source;
}

TEST(LatencyRate, without_rawecho_the_most_expensive_target_sets_the_rate_and_nothing_measured_sets_none) {
  const auto r = calibrate_rate({{"malloc", 9.0}, {"beast", 12.0}, {"pool", 0.0}});
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->rate, 50000);  // 0.6 / 12 us
  EXPECT_NE(r->source.find("against beast"), std::string::npos) << r->source;
  EXPECT_FALSE(calibrate_rate({}));
  EXPECT_FALSE(calibrate_rate({{"malloc", 0.0}}));
}

RunRecord open_loop(double offered, double achieved, double load_util) {
  RunRecord r;
  r.metrics.set("offered_rate", offered);
  r.metrics.set("msgs_per_sec", achieved);
  r.metrics.set("load_cpu_util", load_util);
  r.metrics.set("latency_p99_us", 120);
  r.metrics.set("latency_p50_us", 40);
  return r;
}

TEST(LatencyRate, a_run_with_headroom_keeps_its_latency) {
  RunRecord r = open_loop(40000, 39900, 0.35);
  EXPECT_FALSE(invalidate_unless_headroom(r));
  EXPECT_EQ(r.metrics.get("latency_p99_us"), 120);
  EXPECT_TRUE(r.flags.empty());
}

TEST(LatencyRate, a_server_that_fell_behind_or_a_busy_generator_voids_the_latency_with_the_reason) {
  RunRecord behind = open_loop(40000, 38000, 0.35);  // 5 % short
  const auto why = invalidate_unless_headroom(behind);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("achieved 38000 msg/s of 40000 offered (5.0 % off, limit 1 %)"), std::string::npos) << *why;
  EXPECT_FALSE(behind.metrics.get("latency_p99_us"));
  EXPECT_FALSE(behind.metrics.get("latency_p50_us"));
  ASSERT_NE(behind.metrics.null_reason("latency_p99_us"), nullptr);
  EXPECT_EQ(*behind.metrics.null_reason("latency_p99_us"), "invalid run: " + *why);
  EXPECT_EQ(behind.metrics.get("msgs_per_sec"), 38000);  // throughput stays
  ASSERT_EQ(behind.flags.size(), 1u);
  EXPECT_EQ(behind.flags[0].rfind(kInvalidLatencyFlag, 0), 0u);

  RunRecord busy = open_loop(40000, 40000, 0.72);
  ASSERT_TRUE(invalidate_unless_headroom(busy));
  EXPECT_NE(busy.flags[0].find("wsload used 72 % of its core (limit 60 %)"), std::string::npos) << busy.flags[0];
}

}  // namespace
}  // namespace wsalloc::bench

#include "bench/aggregate.hpp"

namespace wsalloc::bench {
namespace {

TEST(LatencyRate, the_row_says_how_many_runs_were_voided_and_keeps_their_latency_out) {
  std::vector<RunRecord> recs;
  const double achieved[] = {40000, 30000, 39990};
  for (uint32_t rep = 1; rep <= 3; ++rep) {
    RunRecord r = open_loop(40000, achieved[rep - 1], 0.3);
    r.scenario = "latency-at-rate";
    r.case_name = "80pct";
    r.target = "malloc";
    r.repetition = rep;
    r.status = RunStatus::Ok;
    r.metrics.set("latency_p99_us", rep == 2 ? 90000 : 100);
    invalidate_unless_headroom(r);
    recs.push_back(r);
  }
  const auto rows = summarise(recs);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].metric("latency_p99_us")->median, 100);  // the voided 90 ms is not in it
  EXPECT_EQ(rows[0].metric("latency_p99_us")->n, 2u);
  bool flagged = false;
  for (const std::string& f : rows[0].flags)
    flagged |= f.rfind("invalid_latency (1 of 3 runs, left out of the latency figures: achieved 30000 msg/s", 0) == 0;
  EXPECT_TRUE(flagged) << ::testing::PrintToString(rows[0].flags);
}

}  // namespace
}  // namespace wsalloc::bench
