#include "bench/compare/block_schedule.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace wsalloc::bench::compare {
namespace {

TEST(BlockSchedule, pair_orders_are_balanced_and_shuffled) {
  SplitMix64 rng(1);
  for (size_t n : {2u, 8u, 10u, 16u}) {
    const auto o = balanced_pair_orders(n, rng);
    ASSERT_EQ(o.size(), n);
    EXPECT_EQ(size_t(std::count(o.begin(), o.end(), PairOrder::TargetFirst)), n / 2);
  }
  // Shuffled: over many draws the first block is target-first about half the time.
  int first = 0;
  for (int i = 0; i < 1000; ++i) first += balanced_pair_orders(8, rng)[0] == PairOrder::TargetFirst;
  EXPECT_GT(first, 400);
  EXPECT_LT(first, 600);
}

TEST(BlockSchedule, odd_count_differs_by_one) {
  SplitMix64 rng(2);
  const auto o = balanced_pair_orders(7, rng);
  const auto t = std::count(o.begin(), o.end(), PairOrder::TargetFirst);
  EXPECT_TRUE(t == 3 || t == 4) << t;
}

TEST(BlockSchedule, random_order_is_a_permutation_and_reproducible) {
  SplitMix64 a(9), b(9);
  auto p = random_order(6, a);
  EXPECT_EQ(p, random_order(6, b));
  std::sort(p.begin(), p.end());
  EXPECT_EQ(p, (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace wsalloc::bench::compare
