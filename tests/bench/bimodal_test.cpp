#include "bench/bimodal.hpp"

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

TEST(Bimodal, the_64k_malloc_pathology_is_two_clusters_with_both_shown) {
  // msgs/s of 8 fresh starts, as measured in issue 14: 5 slow (madvise per message), 3 fast.
  const auto b = find_bimodal({2100, 31000, 2600, 3100, 25000, 2400, 40000, 2900});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->low.runs, 5u);
  EXPECT_EQ(b->high.runs, 3u);
  EXPECT_DOUBLE_EQ(b->low.median, 2600);
  EXPECT_DOUBLE_EQ(b->high.median, 31000);
  EXPECT_EQ(describe(*b), "5 runs at 2.6k (2.1k-3.1k), 3 runs at 31k (25k-40k)");
}

TEST(Bimodal, ordinary_noise_is_one_cluster) {
  // A 70 % min-max spread, the worst this machine shows without a second state.
  EXPECT_FALSE(find_bimodal({30000, 41000, 35000, 51000, 38000}));
  EXPECT_FALSE(find_bimodal({100, 101, 99, 100}));
}

TEST(Bimodal, a_lone_outlier_among_many_runs_is_not_a_second_state) {
  EXPECT_FALSE(find_bimodal({30000, 31000, 29000, 30500, 3000}));
}

TEST(Bimodal, with_three_runs_one_far_away_counts_so_quick_runs_can_show_it) {
  const auto b = find_bimodal({2500, 30000, 33000});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->low.runs, 1u);
  EXPECT_EQ(describe(*b), "1 run at 2.5k, 2 runs at 31.5k (30k-33k)");
}

TEST(Bimodal, clusters_closer_than_twofold_or_without_a_clean_gap_are_not_flagged) {
  EXPECT_FALSE(find_bimodal({100, 105, 180, 185}));          // 1.8x apart
  EXPECT_FALSE(find_bimodal({100, 200, 300, 400, 600, 800}));  // spread out evenly, no gap
}

TEST(Bimodal, missing_and_zero_values_are_left_out) {
  EXPECT_FALSE(find_bimodal({0, 0, 2500, 30000}));  // two values left: too few
  EXPECT_FALSE(find_bimodal({}));
}

}  // namespace
}  // namespace wsalloc::bench
