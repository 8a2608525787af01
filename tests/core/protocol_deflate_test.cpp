// The parser's permessage-deflate path (RFC 7692): RSV1 rules, inflation into the window, limits
// on the inflated size, 1007 for bad data, fragmented and split compressed messages.
#include "core/protocol.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace wsalloc::core {
namespace {

using Bytes = std::vector<uint8_t>;

struct Sink {
  std::vector<std::string> messages;  // "text:..." / "binary:..."
  std::string open;
  bool in_message = false;
  size_t chunks = 0, max_chunk = 0, delivered = 0;
  uint16_t error = 0;
  std::string why;
  std::vector<std::string> pings;
  void on_data(Opcode op, std::span<uint8_t> chunk, bool begin, bool end) {
    EXPECT_EQ(begin, !in_message) << "begin flag";
    EXPECT_TRUE(!chunk.empty() || end) << "an empty chunk without end";
    if (begin) open = op == Opcode::Text ? "text:" : "binary:";
    in_message = true;
    open.append(chunk.begin(), chunk.end());
    ++chunks;
    delivered += chunk.size();
    if (chunk.size() > max_chunk) max_chunk = chunk.size();
    if (end) {
      messages.push_back(open);
      in_message = false;
    }
  }
  void on_ping(std::span<const uint8_t> p) { pings.emplace_back(p.begin(), p.end()); }
  void on_pong(std::span<const uint8_t>) {}
  void on_close(uint16_t, std::string_view) {}
  void on_protocol_error(CloseCode code, std::string_view w) {
    error = static_cast<uint16_t>(code);
    why = std::string(w);
  }
};

constexpr uint32_t kKey = 0x3DA1F27Cu;

Bytes frame(uint8_t op, const Bytes& payload, bool fin = true, uint8_t rsv = 0) {
  Bytes b(kMaxFrameHeader + payload.size());
  size_t n = write_frame_header(b.data(), static_cast<Opcode>(op), fin, payload.size(), kKey);
  b[0] |= rsv;
  mask_copy(b.data() + n, payload.data(), payload.size(), kKey);
  b.resize(n + payload.size());
  return b;
}
Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A client's compressor: what a browser or Python's websockets would send.
class Client {
 public:
  explicit Client(bool takeover = true, uint8_t bits = 15) : d_({bits, !takeover}, {}, {}) {}
  Bytes compress(const Bytes& msg) {
    Bytes out(MessageDeflater::bound(msg.size()));
    size_t n = 0;
    EXPECT_EQ(d_.compress(msg, out, n), DeflateStatus::Ok);
    out.resize(n);
    return out;
  }
  Bytes message(uint8_t op, const Bytes& msg) { return frame(op, compress(msg), true, kRsv1); }

 private:
  MessageDeflater d_;
};

struct Server {
  explicit Server(uint64_t max = 16u << 20, DeflateParams client = {}, size_t window = 4096)
      : inflater(client, {&conn, &msg}), win(window), parser(sink, ProtocolLimits{max}) {
    parser.set_inflater(&inflater, win);
  }
  ParserState feed(const Bytes& stream, size_t piece = 0) {
    ParserState st = ParserState::Open;
    if (piece == 0) piece = stream.size();
    for (size_t at = 0; at < stream.size(); at += piece) {
      Bytes p(stream.begin() + static_cast<long>(at), stream.begin() + static_cast<long>(std::min(stream.size(), at + piece)));
      st = parser.feed(p);
    }
    return st;
  }
  std::pmr::monotonic_buffer_resource conn, msg;
  Sink sink;
  MessageInflater inflater;
  std::vector<uint8_t> win;
  ProtocolParser<Role::Server, Sink> parser;
};

Bytes json_like(size_t n, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) s += R"({"id":)" + std::to_string(rng() % 100000) + R"(,"ok":true,"name":"κόσμε"},)";
  while (s.size() > n) s.pop_back();
  while (!s.empty() && (static_cast<uint8_t>(s.back()) & 0xC0) == 0x80) s.pop_back();  // whole characters
  if (!s.empty() && static_cast<uint8_t>(s.back()) >= 0xC0) s.pop_back();
  return bytes(s);
}

TEST(ProtocolDeflate, compressed_text_is_delivered_inflated_in_one_chunk) {
  Server s;
  Client c;
  const Bytes msg = json_like(1000);
  EXPECT_EQ(s.feed(c.message(0x1, msg)), ParserState::Open);
  ASSERT_EQ(s.sink.messages.size(), 1u);
  EXPECT_EQ(s.sink.messages[0], "text:" + std::string(msg.begin(), msg.end()));
  EXPECT_EQ(s.sink.chunks, 1u);
}

TEST(ProtocolDeflate, context_takeover_across_messages_and_reads_of_any_size) {
  for (size_t piece : {size_t{0}, size_t{1}, size_t{7}, size_t{100}}) {
    Server s;
    Client c;
    Bytes stream;
    std::vector<std::string> want;
    for (int m = 0; m < 5; ++m) {
      const Bytes msg = json_like(300 + 97 * m, m);
      stream = cat({stream, c.message(m % 2 ? 0x2 : 0x1, msg)});
      want.push_back((m % 2 ? "binary:" : "text:") + std::string(msg.begin(), msg.end()));
    }
    s.feed(stream, piece);
    EXPECT_EQ(s.sink.error, 0) << s.sink.why << " piece " << piece;
    EXPECT_EQ(s.sink.messages, want) << "piece " << piece;
  }
}

TEST(ProtocolDeflate, fragmented_compressed_message_has_rsv1_on_the_first_frame_only) {
  Server s;
  Client c;
  const Bytes msg = json_like(5000);
  const Bytes z = c.compress(msg);
  const size_t a = z.size() / 3, b = 2 * z.size() / 3;
  Bytes stream = cat({frame(0x1, Bytes(z.begin(), z.begin() + a), false, kRsv1),
                      frame(0x9, bytes("ping in between")),
                      frame(0x0, Bytes(z.begin() + a, z.begin() + b), false),
                      frame(0x0, Bytes(), false),
                      frame(0x0, Bytes(z.begin() + b, z.end()), true)});
  s.feed(stream, 5);
  EXPECT_EQ(s.sink.error, 0) << s.sink.why;
  ASSERT_EQ(s.sink.messages.size(), 1u);
  EXPECT_EQ(s.sink.messages[0], "text:" + std::string(msg.begin(), msg.end()));
  EXPECT_EQ(s.sink.pings, std::vector<std::string>{"ping in between"});
}

TEST(ProtocolDeflate, message_larger_than_the_window_comes_in_window_sized_chunks) {
  Server s(16u << 20, {}, 1000);
  Client c;
  const Bytes msg = json_like(10'000);
  s.feed(c.message(0x2, msg));
  ASSERT_EQ(s.sink.messages.size(), 1u);
  EXPECT_EQ(s.sink.messages[0], "binary:" + std::string(msg.begin(), msg.end()));
  EXPECT_EQ(s.sink.max_chunk, 1000u);
  EXPECT_GE(s.sink.chunks, 10u);
}

TEST(ProtocolDeflate, rsv1_without_negotiation_is_1002) {
  Sink sink;
  ProtocolParser<Role::Server, Sink> parser(sink);
  Client c;
  Bytes f = c.message(0x1, json_like(50));
  EXPECT_EQ(parser.feed(f), ParserState::Failed);
  EXPECT_EQ(sink.error, 1002);
}

TEST(ProtocolDeflate, rsv1_on_continuation_or_control_frames_and_rsv2_rsv3_are_1002) {
  Client c;
  const Bytes z = c.compress(json_like(100));
  const std::vector<std::pair<const char*, Bytes>> cases = {
      {"continuation", cat({frame(0x1, z, false, kRsv1), frame(0x0, Bytes{}, true, kRsv1)})},
      {"continuation of a plain message", cat({frame(0x1, bytes("ab"), false), frame(0x0, bytes("c"), true, kRsv1)})},
      {"ping", frame(0x9, bytes("x"), true, kRsv1)},
      {"close", frame(0x8, Bytes{0x03, 0xE8}, true, kRsv1)},
      {"rsv2", frame(0x1, bytes("x"), true, 0x20)},
      {"rsv3", frame(0x2, bytes("x"), true, 0x10)},
      {"rsv1+rsv2", frame(0x1, z, true, kRsv1 | 0x20)},
  };
  for (const auto& [name, stream] : cases) {
    Server s;
    EXPECT_EQ(s.feed(stream), ParserState::Failed) << name;
    EXPECT_EQ(s.sink.error, 1002) << name;
    EXPECT_TRUE(s.sink.messages.empty()) << name;
  }
}

TEST(ProtocolDeflate, plain_messages_still_work_when_deflate_is_agreed) {
  Server s;
  Client c;
  s.feed(cat({frame(0x1, bytes("plain")), c.message(0x1, bytes("packed")), frame(0x2, bytes("raw"))}));
  EXPECT_EQ(s.sink.messages, (std::vector<std::string>{"text:plain", "text:packed", "binary:raw"}));
}

TEST(ProtocolDeflate, empty_compressed_message_is_an_empty_message) {
  Server s;
  s.feed(frame(0x1, Bytes{0x00}, true, kRsv1));
  EXPECT_EQ(s.sink.messages, std::vector<std::string>{"text:"});
}

TEST(ProtocolDeflate, bomb_is_refused_with_1009_while_inflating) {
  // 4 MiB of zeros compress to about 4 KiB, far under the wire limit: only the inflated count can
  // catch it, and it must stop at the limit, not after inflating everything.
  constexpr uint64_t kMax = 64 * 1024;
  Server s(kMax);
  Client c;
  const Bytes bomb = c.message(0x2, Bytes(4u << 20, 0));
  ASSERT_LT(bomb.size(), compressed_wire_limit(kMax));
  EXPECT_EQ(s.feed(bomb), ParserState::Failed);
  EXPECT_EQ(s.sink.error, 1009);
  EXPECT_LE(s.inflater.bytes_out(), kMax + 1) << "inflation stopped one byte past the limit";
  EXPECT_LE(s.sink.delivered, kMax);
  EXPECT_TRUE(s.sink.messages.empty());
}

TEST(ProtocolDeflate, message_of_exactly_the_inflated_limit_passes) {
  constexpr uint64_t kMax = 10'000;
  Server s(kMax);
  Client c;
  s.feed(c.message(0x2, Bytes(kMax, 'a')));
  EXPECT_EQ(s.sink.error, 0) << s.sink.why;
  ASSERT_EQ(s.sink.messages.size(), 1u);
  s.feed(c.message(0x2, Bytes(kMax + 1, 'a')));
  EXPECT_EQ(s.sink.error, 1009);
}

TEST(ProtocolDeflate, compressed_frame_over_the_wire_limit_is_refused_at_its_header) {
  constexpr uint64_t kMax = 10'000;
  Server s(kMax);
  Bytes header(kMaxFrameHeader);
  header.resize(write_frame_header(header.data(), Opcode::Binary, true, compressed_wire_limit(kMax) + 1, kKey));
  header[0] |= kRsv1;
  EXPECT_EQ(s.feed(header), ParserState::Failed);
  EXPECT_EQ(s.sink.error, 1009);
  // A compressed frame a little over max_message on the wire (incompressible data) is fine.
  Server t(kMax);
  std::mt19937 rng(1);
  Bytes noise(kMax);
  for (auto& x : noise) x = static_cast<uint8_t>(rng());
  Client c;
  const Bytes z = c.compress(noise);
  ASSERT_GT(z.size(), kMax);
  t.feed(frame(0x2, z, true, kRsv1));
  EXPECT_EQ(t.sink.error, 0) << t.sink.why;
}

TEST(ProtocolDeflate, invalid_compressed_data_is_1007) {
  Server s;
  EXPECT_EQ(s.feed(frame(0x2, Bytes{0xFF, 0xFE, 0xFD, 0x01, 0x02}, true, kRsv1)), ParserState::Failed);
  EXPECT_EQ(s.sink.error, 1007);
}

TEST(ProtocolDeflate, data_after_a_bfinal_block_is_1007_and_the_bfinal_message_itself_is_fine) {
  const Bytes hello = {0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};  // RFC 7692 7.2.3.4
  Server s;
  s.feed(frame(0x1, hello, true, kRsv1));
  EXPECT_EQ(s.sink.messages, std::vector<std::string>{"text:Hello"});
  Bytes more = hello;
  more.push_back(0x00);
  s.feed(frame(0x1, more, true, kRsv1));
  EXPECT_EQ(s.sink.error, 1007);
}

TEST(ProtocolDeflate, invalid_utf8_inside_compressed_text_fails_fast_with_1007) {
  // The bad byte sits at the start of a long message sent in one non-final fragment: the parser must
  // fail on inflating it, without waiting for the message's end.
  Server s;
  Client c;
  Bytes msg(3000, 'x');
  const std::string_view bad = "ok \xC0\xAF then more";
  std::memcpy(msg.data(), bad.data(), bad.size());
  s.feed(frame(0x1, c.compress(msg), false, kRsv1));
  EXPECT_EQ(s.sink.error, 1007);
  EXPECT_TRUE(s.sink.messages.empty());
}

TEST(ProtocolDeflate, invalid_utf8_before_the_limit_wins_over_the_limit_however_the_bytes_arrive) {
  // Byte 100 is invalid, the message passes max_message (300) later. Inflated in one step (a large
  // window, the whole frame at once) both show up together; the first bad byte must still decide,
  // as it does when the frame trickles in a byte at a time (found by fuzz_inflate).
  Bytes msg(100, 'a');
  msg.push_back(0xFF);
  msg.resize(600, 'b');
  Client c;
  const Bytes f = c.message(0x1, msg);
  for (size_t piece : {size_t{0}, size_t{1}}) {
    Server s(300, {}, 65536);
    s.feed(f, piece);
    EXPECT_EQ(s.sink.error, 1007) << "piece " << piece;
  }
}

TEST(ProtocolDeflate, compressed_text_ending_inside_a_character_is_1007) {
  Server s;
  Client c;
  s.feed(c.message(0x1, bytes("abc\xCE")));
  EXPECT_EQ(s.sink.error, 1007);
}

TEST(ProtocolDeflate, no_memory_for_the_decompressor_is_1011) {
  struct Refuse final : std::pmr::memory_resource {
    void* do_allocate(size_t, size_t) override { throw std::bad_alloc(); }
    void do_deallocate(void*, size_t, size_t) override {}
    bool do_is_equal(const memory_resource& o) const noexcept override { return this == &o; }
  } refuse;
  Sink sink;
  MessageInflater inflater({}, {&refuse, &refuse});
  std::vector<uint8_t> win(100);
  ProtocolParser<Role::Server, Sink> parser(sink);
  parser.set_inflater(&inflater, win);
  Client c;
  Bytes f = c.message(0x1, bytes("hello"));
  EXPECT_EQ(parser.feed(f), ParserState::Failed);
  EXPECT_EQ(sink.error, 1011);
}

TEST(ProtocolDeflate, reset_forgets_the_inflater) {
  Server s;
  s.parser.reset();
  Client c;
  EXPECT_EQ(s.feed(c.message(0x1, bytes("x"))), ParserState::Failed);
  EXPECT_EQ(s.sink.error, 1002);
}

TEST(ProtocolDeflate, client_role_inflates_server_messages) {
  Sink sink;
  MessageInflater inflater({}, {});
  std::vector<uint8_t> win(512);
  ProtocolParser<Role::Client, Sink> parser(sink);
  parser.set_inflater(&inflater, win);
  Client server_side;  // same compressor; frames unmasked as a server sends them
  const Bytes msg = json_like(2000);
  const Bytes z = server_side.compress(msg);
  Bytes f(kMaxFrameHeader + z.size());
  size_t h = write_frame_header(f.data(), Opcode::Text, true, z.size());
  f[0] |= kRsv1;
  std::memcpy(f.data() + h, z.data(), z.size());
  f.resize(h + z.size());
  EXPECT_EQ(parser.feed(f), ParserState::Open);
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0], "text:" + std::string(msg.begin(), msg.end()));
}

}  // namespace
}  // namespace wsalloc::core
