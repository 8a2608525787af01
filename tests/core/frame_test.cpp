#include "core/frame.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace wsalloc::core {
namespace {

uint32_t key_of(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t k[4] = {a, b, c, d};
  uint32_t w;
  std::memcpy(&w, k, 4);
  return w;
}

const uint64_t kLengths[] = {0, 1, 125, 126, 127, 65535, 65536, (uint64_t{1} << 32) + 7, (uint64_t{1} << 63) - 1};

TEST(FrameHeader, write_then_parse_round_trips_every_length_class) {
  const uint32_t key = key_of(0x12, 0x34, 0x56, 0x78);
  for (uint64_t len : kLengths) {
    for (bool masked : {false, true}) {
      for (bool fin : {false, true}) {
        uint8_t buf[kMaxFrameHeader + 4];
        std::memset(buf, 0xEE, sizeof buf);
        const size_t n = write_frame_header(buf, Opcode::Binary, fin, len,
                                            masked ? std::optional<uint32_t>(key) : std::nullopt);
        EXPECT_EQ(n, frame_header_size(len, masked)) << "len " << len;
        EXPECT_EQ(buf[n], 0xEE) << "wrote past the header, len " << len;
        FrameHeader h;
        ASSERT_EQ(parse_frame_header({buf, n}, h), HeaderParse::Complete) << "len " << len;
        EXPECT_EQ(h.payload_len, len);
        EXPECT_EQ(h.header_len, n);
        EXPECT_EQ(h.fin, fin);
        EXPECT_EQ(h.masked, masked);
        EXPECT_EQ(h.mask_key, masked ? key : 0u);
        EXPECT_EQ(h.opcode, 0x2);
        EXPECT_EQ(h.rsv, 0);
      }
    }
  }
}

TEST(FrameHeader, uses_minimal_length_encoding) {
  EXPECT_EQ(frame_header_size(0, false), 2u);
  EXPECT_EQ(frame_header_size(125, false), 2u);
  EXPECT_EQ(frame_header_size(126, false), 4u);
  EXPECT_EQ(frame_header_size(65535, false), 4u);
  EXPECT_EQ(frame_header_size(65536, false), 10u);
  EXPECT_EQ(frame_header_size(65536, true), 14u);
  EXPECT_EQ(frame_header_size(1, true), 6u);

  uint8_t b[kMaxFrameHeader];
  ASSERT_EQ(write_frame_header(b, Opcode::Text, true, 125), 2u);
  EXPECT_EQ(b[0], 0x81);
  EXPECT_EQ(b[1], 125);
  ASSERT_EQ(write_frame_header(b, Opcode::Text, true, 126), 4u);
  EXPECT_EQ(b[1], 126);
  EXPECT_EQ(b[2], 0x00);
  EXPECT_EQ(b[3], 126);
  ASSERT_EQ(write_frame_header(b, Opcode::Binary, false, 65536), 10u);
  EXPECT_EQ(b[0], 0x02);
  EXPECT_EQ(b[1], 127);
  const uint8_t expect64[8] = {0, 0, 0, 0, 0, 1, 0, 0};
  EXPECT_EQ(std::memcmp(b + 2, expect64, 8), 0);
  ASSERT_EQ(write_frame_header(b, Opcode::Ping, true, (uint64_t{1} << 32) + 1), 10u);
  const uint8_t expect32[8] = {0, 0, 0, 1, 0, 0, 0, 1};
  EXPECT_EQ(b[0], 0x89);
  EXPECT_EQ(std::memcmp(b + 2, expect32, 8), 0);
}

TEST(FrameHeader, mask_bit_and_key_bytes_are_written_in_wire_order) {
  uint8_t b[kMaxFrameHeader];
  const size_t n = write_frame_header(b, Opcode::Text, true, 5, key_of(0x37, 0xfa, 0x21, 0x3d));
  const uint8_t expect[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d};
  ASSERT_EQ(n, sizeof expect);
  EXPECT_EQ(std::memcmp(b, expect, n), 0);
}

TEST(FrameHeader, parse_reports_need_more_for_every_short_prefix) {
  for (uint64_t len : kLengths) {
    for (bool masked : {false, true}) {
      uint8_t b[kMaxFrameHeader];
      const size_t n = write_frame_header(b, Opcode::Text, true, len,
                                          masked ? std::optional<uint32_t>(0xA1B2C3D4u) : std::nullopt);
      for (size_t k = 0; k < n; ++k) {
        FrameHeader h;
        EXPECT_EQ(parse_frame_header({b, k}, h), HeaderParse::NeedMore) << "len " << len << " prefix " << k;
      }
    }
  }
}

TEST(FrameHeader, parse_keeps_raw_rsv_and_reserved_opcode_bits) {
  const uint8_t b[] = {0x7B, 0x00};  // FIN=0, RSV1..3 set, opcode 0xB
  FrameHeader h;
  ASSERT_EQ(parse_frame_header({b, 2}, h), HeaderParse::Complete);
  EXPECT_FALSE(h.fin);
  EXPECT_EQ(h.rsv, 0x70);
  EXPECT_EQ(h.opcode, 0xB);
  EXPECT_FALSE(opcode_is_known(h.opcode));
  EXPECT_TRUE(opcode_is_control(h.opcode));
}

TEST(FrameHeader, parse_accepts_non_minimal_length_encodings) {
  const uint8_t b16[] = {0x82, 126, 0x00, 0x05};
  const uint8_t b64[] = {0x82, 127, 0, 0, 0, 0, 0, 0, 0, 0x05};
  FrameHeader h;
  ASSERT_EQ(parse_frame_header({b16, sizeof b16}, h), HeaderParse::Complete);
  EXPECT_EQ(h.payload_len, 5u);
  EXPECT_EQ(h.header_len, 4);
  ASSERT_EQ(parse_frame_header({b64, sizeof b64}, h), HeaderParse::Complete);
  EXPECT_EQ(h.payload_len, 5u);
  EXPECT_EQ(h.header_len, 10);
}

TEST(FrameHeader, parse_reports_top_bit_of_64_bit_length_for_the_caller_to_reject) {
  const uint8_t b[] = {0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0x01};
  FrameHeader h;
  ASSERT_EQ(parse_frame_header({b, sizeof b}, h), HeaderParse::Complete);
  EXPECT_EQ(h.payload_len >> 63, 1u);
}

TEST(Mask, rfc6455_sample_masked_hello_unmasks) {
  // RFC 6455 5.7: a single-frame masked text message "Hello".
  uint8_t frame[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  FrameHeader h;
  ASSERT_EQ(parse_frame_header({frame, sizeof frame}, h), HeaderParse::Complete);
  ASSERT_EQ(h.header_len, 6);
  apply_mask(frame + 6, 5, h.mask_key);
  EXPECT_EQ(std::memcmp(frame + 6, "Hello", 5), 0);
}

void reference_mask(uint8_t* dst, const uint8_t* src, size_t n, const uint8_t k[4], size_t off) {
  for (size_t i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] ^ k[(i + off) % 4]);
}

TEST(Mask, apply_mask_equals_bytewise_reference_for_every_length_offset_and_alignment) {
  const uint8_t k[4] = {0x01, 0x80, 0x7F, 0xFE};
  const uint32_t key = key_of(k[0], k[1], k[2], k[3]);
  alignas(16) uint8_t src[96 + 16], got[96 + 16], want[96 + 16];
  for (size_t i = 0; i < sizeof src; ++i) src[i] = static_cast<uint8_t>(i * 37 + 11);
  for (size_t len = 0; len <= 70; ++len) {
    for (size_t off = 0; off < 8; ++off) {  // offsets >= 4 must behave as off % 4
      for (size_t align = 0; align < 8; ++align) {
        std::memcpy(got, src, sizeof src);
        std::memcpy(want, src, sizeof src);
        apply_mask(got + align, len, key, off);
        reference_mask(want + align, src + align, len, k, off);
        ASSERT_EQ(std::memcmp(got, want, sizeof got), 0) << "len " << len << " off " << off << " align " << align;
      }
    }
  }
}

TEST(Mask, mask_copy_equals_bytewise_reference_and_leaves_neighbours_untouched) {
  const uint8_t k[4] = {0xAA, 0x55, 0x0F, 0xF0};
  const uint32_t key = key_of(k[0], k[1], k[2], k[3]);
  alignas(16) uint8_t src[96 + 16], got[96 + 16], want[96 + 16];
  for (size_t i = 0; i < sizeof src; ++i) src[i] = static_cast<uint8_t>(i * 13 + 5);
  for (size_t len = 0; len <= 70; ++len) {
    for (size_t off = 0; off < 4; ++off) {
      for (size_t salign = 0; salign < 8; ++salign) {
        for (size_t dalign = 0; dalign < 8; dalign += 3) {
          std::memset(got, 0xCC, sizeof got);
          std::memset(want, 0xCC, sizeof want);
          mask_copy(got + dalign, src + salign, len, key, off);
          reference_mask(want + dalign, src + salign, len, k, off);
          ASSERT_EQ(std::memcmp(got, want, sizeof got), 0)
              << "len " << len << " off " << off << " src+" << salign << " dst+" << dalign;
        }
      }
    }
  }
}

TEST(Mask, mask_copy_in_place_equals_apply_mask) {
  std::vector<uint8_t> a(1000), b;
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i);
  b = a;
  mask_copy(a.data() + 1, a.data() + 1, 997, 0xDEADBEEFu, 3);
  apply_mask(b.data() + 1, 997, 0xDEADBEEFu, 3);
  EXPECT_EQ(a, b);
}

TEST(Mask, masking_in_pieces_with_running_offset_equals_masking_at_once) {
  std::vector<uint8_t> whole(257), pieces;
  for (size_t i = 0; i < whole.size(); ++i) whole[i] = static_cast<uint8_t>(i ^ 0x5A);
  pieces = whole;
  const uint32_t key = key_of(1, 2, 3, 4);
  apply_mask(whole.data(), whole.size(), key);
  size_t done = 0;
  for (size_t step : {1u, 3u, 7u, 8u, 13u, 100u, 125u}) {
    apply_mask(pieces.data() + done, step, key, done);
    done += step;
  }
  ASSERT_EQ(done, pieces.size());
  EXPECT_EQ(whole, pieces);
}

TEST(Mask, masking_twice_restores_the_data) {
  std::array<uint8_t, 64> a{}, orig{};
  for (size_t i = 0; i < a.size(); ++i) a[i] = orig[i] = static_cast<uint8_t>(i * 3);
  apply_mask(a.data(), a.size(), 0x11223344u, 2);
  EXPECT_NE(a, orig);
  apply_mask(a.data(), a.size(), 0x11223344u, 2);
  EXPECT_EQ(a, orig);
}

}  // namespace
}  // namespace wsalloc::core
