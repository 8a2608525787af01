#include "bench/disturbance.hpp"

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

}  // namespace
}  // namespace wsalloc::bench
