#include "core/frame_scan.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace wsalloc::core {
namespace {

// Masked client frames of the given payload sizes, back to back.
std::vector<uint8_t> frames(std::initializer_list<size_t> sizes) {
  std::vector<uint8_t> out;
  for (size_t n : sizes) {
    uint8_t h[kMaxFrameHeader];
    const size_t hl = write_frame_header(h, Opcode::Binary, true, n, 0x01020304u);
    out.insert(out.end(), h, h + hl);
    out.insert(out.end(), n, uint8_t{0x5a});
  }
  return out;
}

TEST(FrameScan, bytes_that_end_at_a_frame_boundary_have_no_tail) {
  const auto b = frames({32, 32, 200});
  EXPECT_FALSE(incomplete_tail_frame(b, 0));
}

TEST(FrameScan, finds_the_large_frame_cut_at_the_end_behind_complete_ones) {
  auto b = frames({32, 32, 70000});
  const size_t whole = b.size();
  b.resize(whole - 1000);
  auto t = incomplete_tail_frame(b, 0);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->header_complete);
  EXPECT_EQ(t->offset, 2u * (6 + 32));
  EXPECT_EQ(t->total, whole - t->offset);
  EXPECT_EQ(t->header.payload_len, 70000u);
}

TEST(FrameScan, starts_after_the_rest_of_the_previous_frames_payload) {
  const auto b = frames({100, 40000});
  // As if the first 30 bytes of the first frame's payload came in an earlier receive.
  std::vector<uint8_t> rest(b.begin() + 6 + 30, b.end() - 5);
  auto t = incomplete_tail_frame(rest, 70);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->offset, 70u);
  EXPECT_EQ(t->header.payload_len, 40000u);
}

TEST(FrameScan, a_header_cut_in_the_middle_is_found_without_a_size) {
  auto b = frames({32, 70000});
  b.resize(6 + 32 + 3);  // 2-byte base header + 1 of the 2 extended length bytes
  auto t = incomplete_tail_frame(b, 0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->offset, 6u + 32);
  EXPECT_FALSE(t->header_complete);
}

TEST(FrameScan, a_hostile_64_bit_length_saturates_instead_of_wrapping) {
  std::vector<uint8_t> b = {0x82, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 0};
  auto t = incomplete_tail_frame(b, 0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->total, UINT64_MAX);
}

TEST(FrameScan, a_first_header_beyond_the_bytes_means_no_frame_starts_here) {
  const auto b = frames({10});
  EXPECT_FALSE(incomplete_tail_frame(b, b.size() + 100));
}

}  // namespace
}  // namespace wsalloc::core
