#include "bench/disturbance.hpp"
#include "bench/speed_probe.hpp"

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

TEST(Disturbance, a_server_that_waited_past_the_limit_for_its_core_is_disturbed) {
  Disturbance d;
  d.server_wait_share = 0.049;
  EXPECT_FALSE(disturbed_because(d));
  d.server_wait_share = 0.12;
  const auto why = disturbed_because(d);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("waited 12.0 %"), std::string::npos) << *why;
  EXPECT_NE(why->find("limit 5 %"), std::string::npos) << *why;
}

TEST(Disturbance, steal_on_either_pinned_core_disturbs_and_names_the_core) {
  Disturbance d;
  d.server_wait_share = 0.0;
  d.steal_load_core = 0.2;
  auto why = disturbed_because(d);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("load generator's core"), std::string::npos) << *why;
  d.steal_load_core = 0.0;
  d.steal_server_core = 0.06;
  why = disturbed_because(d);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("server's core"), std::string::npos) << *why;
  EXPECT_FALSE(disturbed_because(d, DisturbanceLimits{0.05, 0.10}));  // limits are the caller's
}

TEST(Disturbance, signs_that_could_not_be_read_do_not_disturb) {
  EXPECT_FALSE(disturbed_because(Disturbance{}));
  const nlohmann::json j = Disturbance{}.to_json();
  EXPECT_TRUE(j["server_wait_share"].is_null());
  EXPECT_TRUE(j["steal_load_core"].is_null());
}

TEST(RecentDisturbance, half_of_the_last_runs_disturbed_is_a_busy_machine_and_it_passes) {
  RecentDisturbance r;
  r.note(true);
  r.note(true);
  EXPECT_FALSE(r.busy());  // two runs say little
  r.note(true);
  EXPECT_TRUE(r.busy());
  for (int i = 0; i < 3; ++i) r.note(false);
  EXPECT_TRUE(r.busy());  // 3 of the last 6
  r.note(false);
  EXPECT_FALSE(r.busy());  // 2 of the last 6: the oldest left the window
  EXPECT_EQ(r.size(), RecentDisturbance::kWindow);
  EXPECT_EQ(r.disturbed(), 2u);
}

TEST(Disturbance, a_core_that_ran_slow_around_the_window_is_disturbed) {
  Disturbance d;
  d.core_slowdown = 1.15;
  EXPECT_FALSE(disturbed_because(d));
  d.core_slowdown = 1.42;
  const auto why = disturbed_because(d);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("42 % slower than usual"), std::string::npos) << *why;
}

TEST(ProbeBaseline, judges_against_the_median_once_it_has_enough_probes) {
  ProbeBaseline b;
  EXPECT_FALSE(b.slowdown(1.0));
  for (double ms : {1.0, 1.1, 0.9, 1.0, 5.0, 1.0}) b.add(ms);  // one outlier does not move the median
  ASSERT_TRUE(b.slowdown(1.4));
  EXPECT_NEAR(*b.slowdown(1.4), 1.4, 1e-12);
}

TEST(ProbeBaseline, the_probe_runs_on_the_core_it_is_given) {
  const auto ms = probe_core_ms(0);
  ASSERT_TRUE(ms);
  EXPECT_GT(*ms, 0);
  EXPECT_FALSE(probe_core_ms(-1));
  EXPECT_FALSE(probe_core_ms(4096));  // no such CPU: nullopt, not a probe somewhere else
}

}  // namespace
}  // namespace wsalloc::bench
