#include "load/frame_builder.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/protocol.hpp"

namespace wsalloc::load {
namespace {

// Collects what the core's server-role parser makes of our frames.
struct Recorder {
  std::vector<std::string> messages;
  std::vector<core::Opcode> opcodes;
  std::string current;
  std::vector<std::string> control;
  std::string error;
  void on_data(core::Opcode op, std::span<uint8_t> chunk, bool begin, bool end) {
    if (begin) current.clear();
    current.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    if (end) {
      messages.push_back(current);
      opcodes.push_back(op);
    }
  }
  void on_ping(std::span<const uint8_t> p) { control.emplace_back(reinterpret_cast<const char*>(p.data()), p.size()); }
  void on_pong(std::span<const uint8_t> p) { control.emplace_back(reinterpret_cast<const char*>(p.data()), p.size()); }
  void on_close(uint16_t code, std::string_view) { control.push_back("close " + std::to_string(code)); }
  void on_protocol_error(core::CloseCode, std::string_view why) { error = why; }
};

std::vector<uint8_t> payload(size_t n) {
  std::vector<uint8_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(i * 131 + 7);
  return p;
}

// Builds one message and parses it back, optionally delivering the bytes in `step`-sized reads.
std::string round_trip(const std::vector<uint8_t>& data, size_t head_len, unsigned fragments, size_t step = 0) {
  Wyrand rng(99);
  const auto head = std::span<const uint8_t>(data).first(head_len);
  const auto tail = std::span<const uint8_t>(data).subspan(head_len);
  std::vector<uint8_t> wire(message_wire_bytes(data.size(), fragments));
  const size_t n = write_masked_message(wire.data(), core::Opcode::Binary, head, tail, fragments, rng);
  EXPECT_EQ(n, wire.size());
  Recorder rec;
  core::ProtocolParser<core::Role::Server, Recorder> parser(rec, core::ProtocolLimits{0});
  if (step == 0) step = wire.size();
  for (size_t off = 0; off < wire.size(); off += step) {
    parser.feed(std::span<uint8_t>(wire.data() + off, std::min(step, wire.size() - off)));
  }
  EXPECT_EQ(rec.error, "");
  EXPECT_EQ(rec.messages.size(), 1u);
  return rec.messages.empty() ? std::string("<none>") : rec.messages[0];
}

TEST(FrameBuilder, built_message_parses_back_in_server_role) {
  for (size_t len : {0u, 1u, 7u, 8u, 9u, 125u, 126u, 127u, 65535u, 65536u, 70000u}) {
    const auto data = payload(len);
    const size_t head = std::min<size_t>(8, len);
    EXPECT_EQ(round_trip(data, head, 1), std::string(data.begin(), data.end())) << "len " << len;
  }
}

TEST(FrameBuilder, fragmented_message_parses_back_whole) {
  for (unsigned frags : {2u, 3u, 7u, 64u}) {
    for (size_t len : {0u, 3u, 8u, 100u, 20000u}) {
      const auto data = payload(len);
      EXPECT_EQ(round_trip(data, std::min<size_t>(8, len), frags), std::string(data.begin(), data.end()))
          << "len " << len << " fragments " << frags;
    }
  }
}

TEST(FrameBuilder, message_survives_any_read_split) {
  const auto data = payload(300);
  for (size_t step : {1u, 2u, 3u, 5u, 13u}) {
    EXPECT_EQ(round_trip(data, 8, 3, step), std::string(data.begin(), data.end())) << "step " << step;
  }
}

TEST(FrameBuilder, head_and_tail_may_split_anywhere) {
  const auto data = payload(50);
  for (size_t head : {0u, 1u, 8u, 49u, 50u}) {
    EXPECT_EQ(round_trip(data, head, 4), std::string(data.begin(), data.end())) << "head " << head;
  }
}

TEST(FrameBuilder, every_frame_is_masked_with_a_fresh_key) {
  Wyrand rng(5);
  const auto data = payload(64);
  std::vector<uint8_t> wire(message_wire_bytes(64, 4));
  write_masked_message(wire.data(), core::Opcode::Text, {}, data, 4, rng);
  // 4 frames of 16 B: header 2 + key 4 + 16 payload each.
  std::vector<uint32_t> keys;
  for (size_t off = 0; off < wire.size(); off += 22) {
    EXPECT_EQ(wire[off + 1] & 0x80, 0x80) << "MASK bit";
    EXPECT_EQ(wire[off + 1] & 0x7F, 16);
    uint32_t k;
    std::memcpy(&k, &wire[off + 2], 4);
    keys.push_back(k);
  }
  ASSERT_EQ(keys.size(), 4u);
  for (size_t i = 0; i < keys.size(); ++i)
    for (size_t j = i + 1; j < keys.size(); ++j) EXPECT_NE(keys[i], keys[j]);
  EXPECT_EQ(wire[0], 0x01);           // Text, FIN clear
  EXPECT_EQ(wire[22], 0x00);          // Continuation
  EXPECT_EQ(wire[66], 0x80);          // Continuation + FIN
}

TEST(FrameBuilder, same_message_twice_is_masked_differently) {
  Wyrand rng(11);
  const auto data = payload(32);
  std::vector<uint8_t> a(message_wire_bytes(32, 1)), b(a.size());
  write_masked_message(a.data(), core::Opcode::Binary, {}, data, 1, rng);
  write_masked_message(b.data(), core::Opcode::Binary, {}, data, 1, rng);
  EXPECT_NE(a, b);
}

TEST(FrameBuilder, prebuilt_header_frames_parse_back_with_fresh_keys) {
  Wyrand rng(21);
  for (size_t len : {0u, 5u, 8u, 125u, 126u, 65535u, 65536u, 100000u}) {
    const auto data = payload(len);
    const size_t head = std::min<size_t>(8, len);
    const PrebuiltHeader header(core::Opcode::Binary, len);
    EXPECT_EQ(header.size(), core::frame_header_size(len, true));
    std::vector<uint8_t> a(len + core::kMaxFrameHeader), b(a.size());
    const size_t n = write_masked_message(a.data(), header, std::span(data).first(head), std::span(data).subspan(head), rng);
    write_masked_message(b.data(), header, std::span(data).first(head), std::span(data).subspan(head), rng);
    ASSERT_EQ(n, message_wire_bytes(len, 1));
    EXPECT_NE(std::vector<uint8_t>(a.begin() + 2, a.begin() + n), std::vector<uint8_t>(b.begin() + 2, b.begin() + n)) << "same key twice";
    Recorder rec;
    core::ProtocolParser<core::Role::Server, Recorder> parser(rec, core::ProtocolLimits{0});
    parser.feed(std::span<uint8_t>(a.data(), n));
    ASSERT_EQ(rec.messages.size(), 1u) << len << " " << rec.error;
    EXPECT_EQ(rec.opcodes[0], core::Opcode::Binary);
    EXPECT_EQ(rec.messages[0], std::string(data.begin(), data.end())) << len;
  }
}

TEST(FrameBuilder, wire_size_counts_every_header) {
  EXPECT_EQ(message_wire_bytes(0, 1), 6u);
  EXPECT_EQ(message_wire_bytes(125, 1), 131u);
  EXPECT_EQ(message_wire_bytes(126, 1), 134u);
  EXPECT_EQ(message_wire_bytes(65536, 1), 65536u + 14u);
  EXPECT_EQ(message_wire_bytes(10, 3), 10u + 3 * 6u);
}

TEST(FrameBuilder, control_frame_parses_back) {
  Wyrand rng(1);
  const std::string text = "ping-payload";
  uint8_t wire[core::kMaxFrameHeader + core::kMaxControlPayload];
  const size_t n = write_masked_control(wire, core::Opcode::Ping, {reinterpret_cast<const uint8_t*>(text.data()), text.size()}, rng);
  Recorder rec;
  core::ProtocolParser<core::Role::Server, Recorder> parser(rec);
  parser.feed(std::span<uint8_t>(wire, n));
  ASSERT_EQ(rec.control.size(), 1u);
  EXPECT_EQ(rec.control[0], text);
  const uint8_t close_payload[2] = {0x03, 0xE8};
  const size_t m = write_masked_control(wire, core::Opcode::Close, close_payload, rng);
  parser.feed(std::span<uint8_t>(wire, m));
  ASSERT_EQ(rec.control.size(), 2u);
  EXPECT_EQ(rec.control[1], "close 1000");
}

}  // namespace
}  // namespace wsalloc::load
