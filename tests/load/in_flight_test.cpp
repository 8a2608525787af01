#include "load/in_flight.hpp"

#include <gtest/gtest.h>

namespace wsalloc::load {
namespace {

TEST(InFlight, entries_keep_order_through_growth_and_wrap) {
  InFlightQueue q(4);
  uint64_t next = 0, expect = 0;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 3 + round % 5; ++i) {
      q.push({next++, 0});
      q.mark_written();
    }
    while (q.size() > static_cast<size_t>(round % 3)) {
      ASSERT_EQ(q.front().seq, expect++);
      q.pop();
    }
  }
  for (size_t k = 0; k < q.size(); ++k) EXPECT_EQ(q.at(k).seq, expect + k);
}

TEST(InFlight, written_and_pending_are_tracked_separately) {
  InFlightQueue q;
  q.push({0, 10});
  q.push({1, 20});
  q.push({2, 30});
  EXPECT_EQ(q.pending(), 3u);
  q.mark_written();
  q.mark_written();
  EXPECT_EQ(q.written(), 2u);
  EXPECT_EQ(q.pending(), 1u);
  q.pop(2);
  EXPECT_EQ(q.written(), 0u);
  EXPECT_EQ(q.front().seq, 2u);
  EXPECT_EQ(q.front().due_ns, 30u);
}

TEST(InFlight, capacity_grows_only_when_full_and_clear_keeps_it) {
  InFlightQueue q(8);
  EXPECT_EQ(q.capacity(), 8u);
  for (uint64_t i = 0; i < 9; ++i) q.push({i, 0});
  EXPECT_EQ(q.capacity(), 16u);
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.capacity(), 16u);
}

}  // namespace
}  // namespace wsalloc::load
