// ConnectionBudget: the server-wide --max-connections cap shared by the workers.
#include "variants/connection_budget.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace wsalloc::variants {
namespace {

TEST(ConnectionBudget, refuses_past_the_limit_and_takes_again_after_a_give_back) {
  ConnectionBudget b(2);
  EXPECT_TRUE(b.try_take());
  EXPECT_TRUE(b.try_take());
  EXPECT_FALSE(b.try_take());
  EXPECT_EQ(b.open(), 2u) << "a refusal claims nothing";
  b.give_back();
  EXPECT_TRUE(b.try_take());
  EXPECT_EQ(b.open(), 2u);
}

TEST(ConnectionBudget, zero_means_no_cap) {
  ConnectionBudget b(0);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(b.try_take());
  EXPECT_EQ(b.open(), 10000u);
}

TEST(ConnectionBudget, threads_racing_for_the_last_slots_never_exceed_the_limit) {
  constexpr size_t kLimit = 100;
  ConnectionBudget b(kLimit);
  std::atomic<size_t> taken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i)
        if (b.try_take()) taken.fetch_add(1, std::memory_order_relaxed);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(taken.load(), kLimit);
  EXPECT_EQ(b.open(), kLimit);
}

}  // namespace
}  // namespace wsalloc::variants
