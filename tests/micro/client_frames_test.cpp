#include "micro/client_frames.hpp"

#include <gtest/gtest.h>

#include "core/frame.hpp"
#include "core/utf8.hpp"

namespace wsalloc::micro {
namespace {

bool valid_utf8(const std::string& s) {
  return core::utf8_valid({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

// Decodes one client frame at `wire[at]`: returns the unmasked payload, advances `at`.
std::string unmask_frame(const std::string& wire, size_t& at, core::FrameHeader& h) {
  const auto* p = reinterpret_cast<const uint8_t*>(wire.data()) + at;
  EXPECT_EQ(core::parse_frame_header({p, wire.size() - at}, h), core::HeaderParse::Complete);
  std::string payload(wire.substr(at + h.header_len, h.payload_len));
  core::apply_mask(reinterpret_cast<uint8_t*>(payload.data()), payload.size(), h.mask_key);
  at += h.header_len + h.payload_len;
  return payload;
}

TEST(ClientFrames, client_frame_is_masked_and_unmasks_to_the_payload) {
  const std::string payload = binary_payload(300);
  const std::string wire = client_frame(core::Opcode::Binary, payload);
  size_t at = 0;
  core::FrameHeader h;
  EXPECT_EQ(unmask_frame(wire, at, h), payload);
  EXPECT_TRUE(h.masked);
  EXPECT_EQ(h.mask_key, kClientMaskKey);
  EXPECT_EQ(h.header_len, 2 + 2 + 4);  // 16-bit length
  EXPECT_EQ(at, wire.size());
  EXPECT_NE(wire.substr(h.header_len), payload) << "the payload must travel masked";
}

TEST(ClientFrames, payload_generators_give_exactly_n_bytes_with_the_promised_validity) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{5}, size_t{512}, size_t{4096}, size_t{4097}}) {
    EXPECT_EQ(ascii_text(n).size(), n);
    EXPECT_EQ(multibyte_text(n).size(), n);
    EXPECT_EQ(mixed_text(n).size(), n);
    EXPECT_EQ(binary_payload(n).size(), n);
    EXPECT_EQ(invalid_text(n).size(), n);
    EXPECT_TRUE(valid_utf8(ascii_text(n))) << n;
    EXPECT_TRUE(valid_utf8(multibyte_text(n))) << n;
    EXPECT_TRUE(valid_utf8(mixed_text(n))) << n;
    if (n > 0) {
      EXPECT_FALSE(valid_utf8(invalid_text(n))) << n;
    }
  }
}

TEST(ClientFrames, multibyte_text_is_mostly_multibyte_characters) {
  const std::string t = multibyte_text(4096);
  size_t ascii = 0;
  for (char c : t) ascii += static_cast<unsigned char>(c) < 0x80;
  EXPECT_LT(ascii, 4u);  // only the padding at the end
}

TEST(ClientFrames, echo_shapes_have_the_sizes_their_names_promise) {
  const size_t sizes[] = {32, 512, 65536, 4096};
  size_t i = 0;
  for (EchoShape shape : kEchoShapes) {
    const EchoMessage m = build_echo_message(shape);
    EXPECT_EQ(m.payload_bytes, sizes[i]) << shape_name(shape);
    EXPECT_EQ(m.reply_bytes, core::frame_header_size(sizes[i], false) + sizes[i]) << shape_name(shape);
    ++i;
  }
}

TEST(ClientFrames, fragmented_shape_is_four_frames_of_one_message) {
  const EchoMessage m = build_echo_message(EchoShape::Fragmented4x1K);
  size_t at = 0, frames = 0, payload = 0;
  core::FrameHeader h;
  while (at < m.wire.size()) {
    payload += unmask_frame(m.wire, at, h).size();
    EXPECT_EQ(h.opcode, frames == 0 ? uint8_t{0x2} : uint8_t{0x0});
    EXPECT_EQ(h.fin, frames == 3);
    ++frames;
  }
  EXPECT_EQ(frames, 4u);
  EXPECT_EQ(payload, 4096u);
}

TEST(ClientFrames, text_shape_is_a_valid_text_frame) {
  const EchoMessage m = build_echo_message(EchoShape::Text512);
  size_t at = 0;
  core::FrameHeader h;
  const std::string payload = unmask_frame(m.wire, at, h);
  EXPECT_EQ(h.opcode, uint8_t{0x1});
  EXPECT_TRUE(valid_utf8(payload));
}

TEST(ClientFrames, shape_names_are_the_instr_workload_prefixes) {
  EXPECT_EQ(shape_name(EchoShape::Binary32), "echo_32");
  EXPECT_EQ(shape_name(EchoShape::Text512), "echo_512_text");
  EXPECT_EQ(shape_name(EchoShape::Binary64K), "echo_64k");
  EXPECT_EQ(shape_name(EchoShape::Fragmented4x1K), "fragmented");
}

}  // namespace
}  // namespace wsalloc::micro
