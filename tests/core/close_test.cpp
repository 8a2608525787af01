#include "core/close.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace wsalloc::core {
namespace {

TEST(CloseCode, wire_valid_codes_are_exactly_the_rfc_ranges) {
  for (uint32_t c = 0; c <= 0xFFFF; ++c) {
    const bool expected = (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
    EXPECT_EQ(close_code_valid_on_wire(static_cast<uint16_t>(c)), expected) << "code " << c;
  }
}

TEST(CloseCode, reserved_codes_1004_to_1006_and_1015_are_never_valid_on_wire) {
  EXPECT_FALSE(close_code_valid_on_wire(1004));
  EXPECT_FALSE(close_code_valid_on_wire(static_cast<uint16_t>(CloseCode::NoStatus)));
  EXPECT_FALSE(close_code_valid_on_wire(static_cast<uint16_t>(CloseCode::Abnormal)));
  EXPECT_FALSE(close_code_valid_on_wire(1015));
  static_assert(close_code_valid_on_wire(1000), "usable in constant expressions");
}

TEST(CloseCode, enum_values_match_rfc_numbers) {
  EXPECT_EQ(static_cast<uint16_t>(CloseCode::Normal), 1000);
  EXPECT_EQ(static_cast<uint16_t>(CloseCode::ProtocolError), 1002);
  EXPECT_EQ(static_cast<uint16_t>(CloseCode::InvalidPayload), 1007);
  EXPECT_EQ(static_cast<uint16_t>(CloseCode::MessageTooBig), 1009);
  EXPECT_EQ(static_cast<uint16_t>(CloseCode::InternalError), 1011);
}

TEST(WriteClosePayload, writes_big_endian_code_then_reason) {
  uint8_t out[125];
  const size_t n = write_close_payload(out, 1002, "bye");
  ASSERT_EQ(n, 5u);
  EXPECT_EQ(out[0], 0x03);
  EXPECT_EQ(out[1], 0xEA);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out + 2), 3), "bye");
}

TEST(WriteClosePayload, empty_reason_gives_two_bytes) {
  uint8_t out[125];
  EXPECT_EQ(write_close_payload(out, 4999, {}), 2u);
  EXPECT_EQ(out[0], 0x13);
  EXPECT_EQ(out[1], 0x87);
}

TEST(WriteClosePayload, long_ascii_reason_is_cut_to_fit_125_bytes) {
  uint8_t out[125];
  const std::string reason(300, 'x');
  EXPECT_EQ(write_close_payload(out, 1000, reason), 125u);
  EXPECT_EQ(out[124], 'x');
}

TEST(WriteClosePayload, long_reason_is_cut_at_a_utf8_character_boundary) {
  uint8_t out[125];
  // 122 ASCII bytes then a 3-byte character: only 1 byte of it would fit, so it is dropped whole.
  std::string reason(122, 'a');
  reason += "\xE2\x82\xAC";
  EXPECT_EQ(write_close_payload(out, 1000, reason), 2u + 122u);
  // 121 ASCII + 2-byte character fits exactly 123.
  std::string exact(121, 'a');
  exact += "\xC3\xA9";
  exact += "tail";
  EXPECT_EQ(write_close_payload(out, 1000, exact), 125u);
  EXPECT_EQ(out[123], 0xC3);
  EXPECT_EQ(out[124], 0xA9);
}

}  // namespace
}  // namespace wsalloc::core
