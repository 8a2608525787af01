#include "bench/latency_rate.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace wsalloc::bench {
namespace {

TEST(LatencyRate, the_rate_is_calibrated_against_rawecho_when_it_ran) {
  // wsload spends 8 us per message against rawecho: 50 % of its core is 62,500 msg/s.
  const auto r = calibrate_rate({{"malloc", 9.0}, {"rawecho", 8.0}, {"beast", 12.0}});
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->rate, 62500);
  EXPECT_NE(r->source.find("against rawecho"), std::string::npos) << r->source;
}

TEST(LatencyRate, without_rawecho_the_most_expensive_target_sets_the_rate_and_nothing_measured_sets_none) {
  const auto r = calibrate_rate({{"malloc", 9.0}, {"beast", 12.0}, {"pool", 0.0}});
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->rate, 0.5e6 / 12);  // 0.5 / 12 us
  EXPECT_NE(r->source.find("against beast"), std::string::npos) << r->source;
  EXPECT_FALSE(calibrate_rate({}));
  EXPECT_FALSE(calibrate_rate({{"malloc", 0.0}}));
}

// A fake wsload whose open-loop cost per message falls with the rate, as the real one's does:
// 10 us of fixed cost per message plus a wake-up worth 2e5/rate us (at 20 k msg/s: 20 us/msg, 40 %
// of its core). The server always keeps up. Records the rates it was asked for.
struct FallingCostWsload {
  std::vector<double> asked;
  double slowdown = 1.0;  // a busier machine: every cost x this
  double us_per_msg(double rate) const { return slowdown * (10 + 2e5 / rate); }
  std::optional<CalibrationTrial> operator()(double rate) {
    asked.push_back(rate);
    return CalibrationTrial{rate, rate, rate * us_per_msg(rate) / 1e6};
  }
};

// The calibration aims at 50 % of wsload's core, under the runs' own limit of 60 %: the gap is for
// the machine's slow phases.
TEST(LatencyRate, a_trial_estimates_the_rate_at_50_percent_from_its_open_loop_cost) {
  EXPECT_LT(kCalibrationHeadroom, kMaxLoadUtil);
  const CalibrationTrial t{20000, 20000, 0.40};  // 20 us/msg
  EXPECT_DOUBLE_EQ(t.estimate(), 25000);
  EXPECT_TRUE(t.had_headroom());
  EXPECT_FALSE((CalibrationTrial{20000, 19000, 0.40}.had_headroom()));  // 5 % short
  EXPECT_FALSE((CalibrationTrial{20000, 20000, 0.50}.had_headroom()));
  EXPECT_FALSE((CalibrationTrial{20000, 20000, 0.55}.had_headroom())) << "under the runs' limit, over the calibration's";
  EXPECT_DOUBLE_EQ((CalibrationTrial{20000, 20000, 0}.estimate()), 0);
}

TEST(LatencyRate, open_loop_calibration_starts_low_and_climbs_by_its_estimates_to_a_measured_rate) {
  FallingCostWsload wsload;
  // Closed loop 8 us/msg against rawecho: 62.5 k msg/s; the first trial at 0.25 x that.
  const auto r = calibrate_open_loop({{"malloc", 9.0}, {"rawecho", 8.0}}, std::ref(wsload));
  ASSERT_TRUE(r);
  ASSERT_EQ(wsload.asked.size(), 3u);
  EXPECT_DOUBLE_EQ(wsload.asked[0], 15625);
  // 15.6 k: 22.8 us/msg, 35.6 % -> 21.9 k at 50 %; the next trial runs there (19.1 us/msg,
  // 42 %), and the third at that trial's estimate, 26.2 k.
  const double e1 = 0.5e6 / wsload.us_per_msg(15625), e2 = 0.5e6 / wsload.us_per_msg(e1);
  EXPECT_DOUBLE_EQ(wsload.asked[1], e1);
  EXPECT_DOUBLE_EQ(wsload.asked[2], e2);
  // R50 is the highest rate a trial ran at with headroom, not the third trial's extrapolation.
  EXPECT_DOUBLE_EQ(r->rate, e2);
  EXPECT_LT(r->rate, r->trials[2].estimate());
  EXPECT_EQ(r->outcome, CalibrationOutcome::Confirmed);
  ASSERT_EQ(r->trials.size(), 3u);
  EXPECT_LT(r->trials[2].load_util, kCalibrationHeadroom);
  // The note says how: open loop against rawecho, each trial's rate and wsload's share of its core.
  EXPECT_NE(r->source.find("open loop against rawecho, confirmed"), std::string::npos) << r->source;
  EXPECT_NE(r->source.find("15.6 k msg/s -> 36 %, 21.9 k msg/s -> 42 %, 26.2 k msg/s -> 46 %"), std::string::npos) << r->source;
  EXPECT_NE(r->source.find("closed loop"), std::string::npos) << r->source;
  const auto j = r->to_json();
  EXPECT_EQ(j["outcome"], "confirmed");
  EXPECT_EQ(j["trials"].size(), 3u);
}

TEST(LatencyRate, a_trial_already_near_50_percent_ends_the_calibration) {
  std::vector<double> asked;
  auto flat_cost = [&](double rate) -> std::optional<CalibrationTrial> {
    asked.push_back(rate);
    return CalibrationTrial{rate, rate, rate * 31e-6};  // 15.6 k msg/s: 48 %, estimate 16.1 k (+3 %)
  };
  const auto r = calibrate_open_loop({{"rawecho", 8.0}}, flat_cost);
  ASSERT_TRUE(r);
  EXPECT_EQ(asked.size(), 1u);
  EXPECT_DOUBLE_EQ(r->rate, 15625);
  EXPECT_EQ(r->outcome, CalibrationOutcome::Confirmed);
}

TEST(LatencyRate, a_first_trial_over_60_percent_backs_off_until_under_50_percent_within_the_trial_limit) {
  FallingCostWsload wsload;
  wsload.slowdown = 1.8;  // 41 us/msg at the first trial's 15.6 k msg/s: 64 % of its core
  const auto r = calibrate_open_loop({{"rawecho", 8.0}}, std::ref(wsload));
  ASSERT_TRUE(r);
  ASSERT_EQ(wsload.asked.size(), 3u);
  const double e1 = 0.5e6 / wsload.us_per_msg(wsload.asked[0]);
  EXPECT_DOUBLE_EQ(wsload.asked[1], kOvershootBackoff * e1);  // under the optimistic estimate: 54 %, still over
  const double e2 = 0.5e6 / wsload.us_per_msg(wsload.asked[1]);
  EXPECT_DOUBLE_EQ(wsload.asked[2], kOvershootBackoff * e2);  // and under again: 49 %
  EXPECT_DOUBLE_EQ(r->rate, wsload.asked[2]);
  EXPECT_EQ(r->outcome, CalibrationOutcome::Confirmed);
  EXPECT_GT(r->trials[0].load_util, kMaxLoadUtil);
  EXPECT_GT(r->trials[1].load_util, kCalibrationHeadroom);
  EXPECT_LT(r->trials[2].load_util, kCalibrationHeadroom);
}

TEST(LatencyRate, a_climb_never_runs_at_or_over_a_rate_that_had_no_headroom) {
  // 20 % up to 14 k msg/s, then wsload jumps to 62 % (a step the cost model cannot see).
  std::vector<double> asked;
  auto cliff = [&](double rate) -> std::optional<CalibrationTrial> {
    asked.push_back(rate);
    return CalibrationTrial{rate, rate, rate <= 14000 ? 0.2 : 0.62};
  };
  const auto r = calibrate_open_loop({{"rawecho", 8.0}}, cliff);
  ASSERT_TRUE(r);
  ASSERT_EQ(asked.size(), 3u);
  EXPECT_DOUBLE_EQ(asked[0], 15625);  // 62 %: the ceiling, estimate 12.6 k
  EXPECT_DOUBLE_EQ(asked[1], kOvershootBackoff * 0.5 * 15625 / 0.62);  // 20 %: estimate 25.2 k, over the ceiling
  EXPECT_DOUBLE_EQ(asked[2], (asked[1] + 15625) / 2.0);  // so the next trial stays between the two
  EXPECT_DOUBLE_EQ(r->rate, asked[2]);  // 20 % again: the highest rate with headroom
  EXPECT_EQ(r->outcome, CalibrationOutcome::Confirmed);
}

TEST(LatencyRate, a_wsload_that_never_gets_under_50_percent_leaves_the_calibration_unconfirmed) {
  std::vector<double> asked;
  auto saturated = [&](double rate) -> std::optional<CalibrationTrial> {
    asked.push_back(rate);
    return CalibrationTrial{rate, rate, 0.95};  // busy whatever the rate: cost grows as rate falls
  };
  const auto r = calibrate_open_loop({{"rawecho", 8.0}}, saturated);
  ASSERT_TRUE(r);
  EXPECT_EQ(asked.size(), static_cast<size_t>(kMaxCalibrationTrials));
  EXPECT_EQ(r->outcome, CalibrationOutcome::Unconfirmed);
  EXPECT_NEAR(r->rate, asked.back() * 0.5 / 0.95, 1e-6);
  EXPECT_NE(r->source.find("unconfirmed"), std::string::npos) << r->source;
}

TEST(LatencyRate, without_rawecho_or_with_failing_trials_the_closed_loop_cost_times_a_safety_factor_sets_the_rate) {
  const auto no_raw = calibrate_open_loop({{"malloc", 9.0}, {"beast", 12.0}}, CalibrationTrialRunner{});
  ASSERT_TRUE(no_raw);
  EXPECT_EQ(no_raw->outcome, CalibrationOutcome::Fallback);
  EXPECT_DOUBLE_EQ(no_raw->rate, 0.5e6 / 12 / kOpenLoopCostFactor);  // beast: 0.5 / 12 us, then / the factor
  EXPECT_NE(no_raw->source.find("rawecho is not among the targets"), std::string::npos) << no_raw->source;
  EXPECT_NE(no_raw->source.find("against beast"), std::string::npos) << no_raw->source;
  EXPECT_NE(no_raw->source.find("4x the closed-loop one"), std::string::npos) << no_raw->source;

  int calls = 0;
  auto failing = [&](double) -> std::optional<CalibrationTrial> {
    ++calls;
    return std::nullopt;
  };
  const auto failed = calibrate_open_loop({{"rawecho", 8.0}}, failing);
  ASSERT_TRUE(failed);
  EXPECT_EQ(calls, kMaxCalibrationTrials);
  EXPECT_EQ(failed->outcome, CalibrationOutcome::Fallback);
  EXPECT_DOUBLE_EQ(failed->rate, 62500 / kOpenLoopCostFactor);
  EXPECT_NE(failed->source.find("every open-loop trial against rawecho failed"), std::string::npos) << failed->source;
  // Each failed trial is retried at the same rate, 0.25 x the closed-loop 62.5 k.
  EXPECT_NE(failed->source.find("measured nothing: 15.6 k msg/s, 15.6 k msg/s, 15.6 k msg/s"), std::string::npos)
      << failed->source;

  EXPECT_FALSE(calibrate_open_loop({}, CalibrationTrialRunner{}));
  EXPECT_FALSE(calibrate_open_loop({{"rawecho", 0.0}}, failing));
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
