#include "variants/send_progress.hpp"

#include <gtest/gtest.h>

namespace wsalloc::variants {
namespace {

using namespace std::chrono_literals;
using Clock = SendProgress::Clock;

// Regression (io_uring): a reply queued for a brand-new connection is still unsent when the
// timer sweep runs in the same loop iteration. Counting the stall from the epoch made that first
// sweep reset the connection before it saw its 101 (conformance.*+uring failed now and then
// with "server reset TCP before a complete HTTP response").
TEST(SendProgress, a_new_connections_first_queued_reply_is_not_a_stall) {
  const Clock::time_point opened = Clock::now();
  SendProgress p(opened);
  EXPECT_FALSE(p.stalled(opened + 1ms, 30s, /*unsent=*/129, /*sent=*/0));
}

TEST(SendProgress, no_progress_for_longer_than_the_limit_is_a_stall) {
  const Clock::time_point t0 = Clock::now();
  SendProgress p(t0);
  EXPECT_FALSE(p.stalled(t0 + 1s, 5s, 0, 0));        // nothing queued: the clock restarts
  EXPECT_FALSE(p.stalled(t0 + 2s, 5s, 1000, 0));     // queued, 1 s without progress
  EXPECT_FALSE(p.stalled(t0 + 6s, 5s, 1000, 0));     // 5 s: not more than the limit
  EXPECT_TRUE(p.stalled(t0 + 6s + 1ms, 5s, 1000, 0));
}

TEST(SendProgress, any_byte_taken_restarts_the_clock) {
  const Clock::time_point t0 = Clock::now();
  SendProgress p(t0);
  EXPECT_FALSE(p.stalled(t0 + 4s, 5s, 1000, 10));
  EXPECT_FALSE(p.stalled(t0 + 8s, 5s, 1000, 10));
  EXPECT_TRUE(p.stalled(t0 + 9s + 1ms, 5s, 1000, 10));
}

}  // namespace
}  // namespace wsalloc::variants
