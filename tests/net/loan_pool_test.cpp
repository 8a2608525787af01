#include "net/loan_pool.hpp"

#include <gtest/gtest.h>

namespace wsalloc::net {
namespace {

TEST(LoanPool, a_loan_is_at_least_the_size_asked_in_power_of_two_classes) {
  LoanPool p;
  auto a = p.take(70'000);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->size, 128u << 10);
  auto b = p.take(10);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->size, LoanPool::kMinBytes);
}

TEST(LoanPool, a_returned_buffer_is_reused_for_the_same_class) {
  LoanPool p;
  auto a = p.take(65'550);
  ASSERT_TRUE(a);
  p.give_back(a->id);
  auto b = p.take(100'000);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->data, a->data);
  EXPECT_EQ(p.buffers(), 1u);
}

TEST(LoanPool, a_pinned_buffer_is_not_reused_until_unpinned) {
  LoanPool p;
  auto a = p.take(65'550);
  p.pin(a->id);
  p.give_back(a->id);
  auto b = p.take(65'550);
  EXPECT_NE(b->data, a->data) << "handed out while a send still reads it";
  p.unpin(a->id);
  p.give_back(b->id);
  EXPECT_EQ(p.lent_bytes(), 0u);
}

TEST(LoanPool, refuses_frames_over_its_largest_class_and_lending_past_its_cap) {
  LoanPool p;
  EXPECT_FALSE(p.take(LoanPool::kMaxBytes + 1));
  std::vector<LoanPool::Loan> held;
  while (auto l = p.take(LoanPool::kMaxBytes)) held.push_back(*l);
  EXPECT_EQ(held.size() * LoanPool::kMaxBytes, LoanPool::kCapBytes);
  EXPECT_EQ(p.refused(), 1u);
  for (const auto& l : held) p.give_back(l.id);
  EXPECT_TRUE(p.take(LoanPool::kMaxBytes));
}

}  // namespace
}  // namespace wsalloc::net
