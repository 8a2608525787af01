// Backlog: order, compaction, and giving capacity back with hysteresis (issue 13).
#include "variants/backlog.hpp"

#include <gtest/gtest.h>

#include <memory_resource>
#include <string>

namespace wsalloc::variants {
namespace {

std::string drain(Backlog& b) {
  std::string out(reinterpret_cast<const char*>(b.front().data()), b.size());
  b.consume(b.size());
  return out;
}

TEST(Backlog, keeps_order_across_partial_consumes) {
  Backlog b(std::pmr::new_delete_resource());
  b.append("abc", 3);
  b.consume(1);
  b.append("de", 2);
  EXPECT_EQ(drain(b), "bcde");
  EXPECT_TRUE(b.empty());
}

TEST(Backlog, recovered_connection_gives_its_capacity_back_within_two_periods) {
  Backlog b(std::pmr::new_delete_resource());
  const std::string burst(1 << 20, 'x');
  b.append(burst.data(), burst.size());
  drain(b);
  EXPECT_GE(b.capacity(), burst.size()) << "draining keeps the capacity";
  EXPECT_EQ(b.trim_if_idle(), 0u) << "the period that saw the burst keeps it";
  EXPECT_GE(b.trim_if_idle(), burst.size()) << "a quiet period gives it back";
  EXPECT_EQ(b.capacity(), 0u);
}

TEST(Backlog, connection_blocked_every_period_keeps_its_capacity) {
  Backlog b(std::pmr::new_delete_resource());
  const std::string burst(1 << 20, 'x');
  for (int period = 0; period < 5; ++period) {
    b.append(burst.data(), burst.size());
    drain(b);
    EXPECT_EQ(b.trim_if_idle(), 0u) << "period " << period;
  }
  EXPECT_GE(b.capacity(), burst.size());
}

TEST(Backlog, small_capacity_and_unsent_bytes_are_never_trimmed) {
  Backlog b(std::pmr::new_delete_resource());
  const std::string some(Backlog::kKeepBytes / 2, 'x');
  b.append(some.data(), some.size());
  drain(b);
  EXPECT_EQ(b.trim_if_idle(), 0u);
  EXPECT_EQ(b.trim_if_idle(), 0u) << "within kKeepBytes: kept";
  const std::string big(1 << 20, 'y');
  b.append(big.data(), big.size());
  b.trim_if_idle();
  EXPECT_EQ(b.trim_if_idle(), 0u) << "bytes still waiting to be sent";
  EXPECT_EQ(drain(b), big);
}

}  // namespace
}  // namespace wsalloc::variants
