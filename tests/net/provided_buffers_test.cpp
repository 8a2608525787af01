#include "net/provided_buffers.hpp"

#include <gtest/gtest.h>

#include "net/uring_ring.hpp"

namespace wsalloc::net {
namespace {

// Whole buffers (no INC) so take() marks a buffer out at once; no receive ever runs here.
ProvidedBuffersOptions four_whole() { return {.count = 4, .bytes = 4096, .incremental = false}; }

TEST(ProvidedBuffers, a_taken_buffer_goes_back_when_settled) {
  UringRing ring;
  ProvidedBuffers b(ring.fd(), four_whole());
  EXPECT_EQ(b.in_ring(), 4u);
  std::span<uint8_t> bytes = b.take(2, 100, false);
  EXPECT_EQ(bytes.size(), 100u);
  EXPECT_EQ(b.in_ring(), 3u);
  b.settle(2);
  EXPECT_EQ(b.in_ring(), 4u);
  EXPECT_EQ(b.stats().recycled, 1u);
}

TEST(ProvidedBuffers, a_pinned_buffer_stays_out_until_unpinned) {
  UringRing ring;
  ProvidedBuffers b(ring.fd(), four_whole());
  std::span<uint8_t> bytes = b.take(1, 64, false);
  std::optional<uint16_t> bid = b.pin(bytes.data() + 10, 20);
  ASSERT_TRUE(bid);
  EXPECT_EQ(*bid, 1);
  b.settle(1);
  EXPECT_EQ(b.in_ring(), 3u) << "given back while a send still references it";
  b.unpin(1);
  EXPECT_EQ(b.in_ring(), 4u);
}

TEST(ProvidedBuffers, pins_are_refused_once_half_the_buffers_are_held_by_pins) {
  UringRing ring;
  ProvidedBuffers b(ring.fd(), four_whole());
  std::span<uint8_t> x = b.take(0, 8, false), y = b.take(1, 8, false), z = b.take(2, 8, false);
  EXPECT_TRUE(b.pin(x.data(), 8));
  EXPECT_TRUE(b.pin(y.data(), 8));
  EXPECT_FALSE(b.pin(z.data(), 8)) << "a third held buffer of four would let slow peers starve receives";
  EXPECT_TRUE(b.pin(x.data(), 4)) << "another pin on an already held buffer costs nothing";
  EXPECT_EQ(b.stats().pins_refused, 1u);
}

TEST(ProvidedBuffers, memory_outside_the_arena_or_still_in_the_ring_is_never_pinned) {
  UringRing ring;
  ProvidedBuffers b(ring.fd(), four_whole());
  uint8_t elsewhere[16];
  EXPECT_FALSE(b.pin(elsewhere, sizeof elsewhere));
  std::span<uint8_t> x = b.take(0, 8, false);
  EXPECT_FALSE(b.pin(x.data() + 4096, 8)) << "buffer 1 is in the ring: the kernel may write it";
  EXPECT_FALSE(b.pin(x.data() + 4090, 16)) << "a range across two buffers is not one receive's bytes";
}

TEST(ProvidedBuffers, rejects_a_count_that_is_not_a_power_of_two) {
  UringRing ring;
  EXPECT_THROW(ProvidedBuffers(ring.fd(), {.count = 3, .bytes = 4096, .incremental = false}), std::invalid_argument);
}

}  // namespace
}  // namespace wsalloc::net
