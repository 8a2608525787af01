#include "load/shared_state.hpp"

#include <gtest/gtest.h>

namespace wsalloc::load {
namespace {

TEST(SharedState, broadcast_ring_starts_with_no_message_in_any_slot) {
  Config cfg;
  const PayloadCatalogue cat({32}, {}, PayloadKind::Binary);
  SharedState sh(cfg, cat);
  EXPECT_EQ(sh.start_ns.load(), 0u);
  EXPECT_FALSE(sh.budget_limited);
  // A receiver must never mistake an empty slot for message 0's send time.
  for (size_t i = 0; i < BroadcastState::kRing; i += 4099) EXPECT_EQ(sh.broadcast.ring[i].seq.load(), UINT64_MAX);
  static_assert(BroadcastState::kRing > 32768, "the ring outlasts the largest broadcast --pipeline window");
}

}  // namespace
}  // namespace wsalloc::load
