// Behaviour of one Session per variant on the in-memory transport: handshake, echo, control
// frames, fragmentation, failures and backpressure. The socket-level conformance suite
// (tests/conformance) checks the same rules through the real binary.
#include "variants/session.hpp"

#include <gtest/gtest.h>

#include "variant_harness.hpp"

namespace wsalloc::testing {
namespace {

using core::Opcode;
using variants::Next;
using variants::SessionPhase;

template <class Variant>
class SessionTest : public ::testing::Test {};
using Variants = ::testing::Types<variants::MallocVariant, variants::ArenaVariant, variants::PoolVariant,
                                  variants::ZeroCopyVariant>;
TYPED_TEST_SUITE(SessionTest, Variants);

TYPED_TEST(SessionTest, handshake_answers_101_with_rfc_sample_accept_key) {
  SessionHarness<TypeParam> h;
  EXPECT_EQ(h.feed(kUpgradeRequest), Next::Continue);
  auto [head, rest] = split_http(h.writer.out);
  EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  EXPECT_NE(head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(h.session.phase(), SessionPhase::Open);
}

TYPED_TEST(SessionTest, handshake_split_into_single_bytes_is_accepted) {
  SessionHarness<TypeParam> h;
  std::string req = kUpgradeRequest;
  for (char c : req) h.feed(std::string(1, c));
  EXPECT_EQ(h.writer.out.rfind("HTTP/1.1 101", 0), 0u);
  EXPECT_EQ(h.session.phase(), SessionPhase::Open);
}

TYPED_TEST(SessionTest, frames_sent_with_the_request_are_echoed) {
  SessionHarness<TypeParam> h;
  h.feed(std::string(kUpgradeRequest) + client_frame(Opcode::Text, "early"));
  auto [head, frames] = split_http(h.writer.out);
  ReplyDecoder d;
  d.feed(frames);
  ASSERT_EQ(d.replies.size(), 1u);
  EXPECT_EQ(d.replies[0].payload, "early");
}

TYPED_TEST(SessionTest, bad_request_gets_400_and_closes) {
  SessionHarness<TypeParam> h;
  EXPECT_EQ(h.feed("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n"),
            Next::Close);
  EXPECT_EQ(h.writer.out.rfind("HTTP/1.1 400", 0), 0u) << h.writer.out;
}

TYPED_TEST(SessionTest, stats_path_answers_json_over_plain_http) {
  SessionHarness<TypeParam> h;
  EXPECT_EQ(h.feed("GET /stats HTTP/1.1\r\nHost: x\r\n\r\n"), Next::Close);
  EXPECT_EQ(h.writer.out.rfind("HTTP/1.1 200", 0), 0u) << h.writer.out;
  EXPECT_NE(h.writer.out.find(R"({"ok":true})"), std::string::npos);
}

TYPED_TEST(SessionTest, echoes_text_and_binary_of_every_length_class) {
  SessionHarness<TypeParam> h;
  h.open();
  const size_t sizes[] = {0, 1, 125, 126, 2047, 2048, 65535, 65536, 70000, 1u << 20};
  std::string expected_all;
  for (size_t n : sizes) {
    std::string payload(n, 'a');
    for (size_t i = 0; i < n; ++i) payload[i] = static_cast<char>('a' + i % 26);
    h.feed(client_frame(n % 2 ? Opcode::Binary : Opcode::Text, payload));
  }
  auto d = h.decode();
  ASSERT_EQ(d.replies.size(), std::size(sizes));
  for (size_t i = 0; i < std::size(sizes); ++i) {
    EXPECT_EQ(d.replies[i].payload.size(), sizes[i]);
    EXPECT_EQ(d.replies[i].op, sizes[i] % 2 ? Opcode::Binary : Opcode::Text);
    for (size_t j = 0; j < sizes[i]; ++j)
      if (d.replies[i].payload[j] != static_cast<char>('a' + j % 26)) FAIL() << "byte " << j;
  }
}

TYPED_TEST(SessionTest, many_frames_in_one_read_each_echoed_in_order) {
  SessionHarness<TypeParam> h;
  h.open();
  std::string batch;
  for (int i = 0; i < 500; ++i) batch += client_frame(Opcode::Binary, "msg" + std::to_string(i));
  h.feed(batch);
  auto d = h.decode();
  ASSERT_EQ(d.replies.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(d.replies[i].payload, "msg" + std::to_string(i));
}

// Regression: the pmr pipeline once wrote each reply with its own writev (a direct-write path meant
// for the handshake caught every reply), a 6x throughput loss at 16 messages in flight.
TYPED_TEST(SessionTest, replies_to_one_read_leave_in_one_write) {
  struct CallCountingWriter final : variants::Writer {
    int calls = 0;
    ssize_t write(const iovec* iov, int count) noexcept override {
      ++calls;
      ssize_t total = 0;
      for (int i = 0; i < count; ++i) total += static_cast<ssize_t>(iov[i].iov_len);
      return total;
    }
  };
  SessionHarness<TypeParam, CallCountingWriter> h;
  h.feed(kUpgradeRequest);
  std::string batch;
  for (int i = 0; i < 16; ++i) batch += client_frame(Opcode::Binary, "m" + std::to_string(i));
  h.writer.calls = 0;
  h.feed(batch);
  EXPECT_EQ(h.writer.calls, 1);
}

TYPED_TEST(SessionTest, stream_split_at_every_byte_gives_same_echoes) {
  std::string stream;
  for (int i = 0; i < 5; ++i) stream += client_frame(Opcode::Text, std::string(130 * i, 'x'));
  stream += client_frame(Opcode::Text, "fr", false) + client_frame(Opcode::Ping, "p") +
            client_frame(Opcode::Continuation, "ag", true);
  for (size_t cut = 1; cut < stream.size(); cut += 7) {
    SessionHarness<TypeParam> h;
    h.open();
    h.feed(stream.substr(0, cut));
    h.feed(stream.substr(cut));
    auto d = h.decode();
    ASSERT_EQ(d.replies.size(), 7u) << "cut " << cut;
    EXPECT_EQ(d.replies[5].op, Opcode::Pong);
    EXPECT_EQ(d.replies[6].payload, "frag");
  }
}

// Regression (found by the boundary replay, issue 13): when one read's replies overflowed the
// zerocopy cork (64 KiB copied, or 64 segments of references), the early flush gave the cork up
// and the reply being framed was left in it, unowned: lost, and every later reply of the worker
// took the slow path around a cork nobody would flush again.
TYPED_TEST(SessionTest, replies_overflowing_the_cork_all_arrive_in_order) {
  for (size_t size : {size_t{2047}, size_t{2048}}) {  // copied into the cork / referenced by it
    SessionHarness<TypeParam> h;
    h.open();
    std::string batch;
    for (int i = 0; i < 40; ++i) batch += client_frame(Opcode::Binary, std::string(size, char('a' + i % 26)));
    h.feed(batch);
    h.feed(client_frame(Opcode::Text, "after"));
    auto d = h.decode();
    ASSERT_EQ(d.replies.size(), 41u) << size << " B replies";
    for (int i = 0; i < 40; ++i) EXPECT_EQ(d.replies[i].payload, std::string(size, char('a' + i % 26))) << i;
    EXPECT_EQ(d.replies[40].payload, "after");
  }
}

TYPED_TEST(SessionTest, ping_between_fragments_is_answered_first) {
  SessionHarness<TypeParam> h;
  h.open();
  h.feed(client_frame(Opcode::Text, "hel", false));
  h.feed(client_frame(Opcode::Ping, "are you there"));
  h.feed(client_frame(Opcode::Continuation, "lo", true));
  auto d = h.decode();
  ASSERT_EQ(d.replies.size(), 2u);
  EXPECT_EQ(d.replies[0].op, Opcode::Pong);
  EXPECT_EQ(d.replies[0].payload, "are you there");
  EXPECT_EQ(d.replies[1].op, Opcode::Text);
  EXPECT_EQ(d.replies[1].payload, "hello");
}

TYPED_TEST(SessionTest, unsolicited_pong_is_ignored) {
  SessionHarness<TypeParam> h;
  h.open();
  h.feed(client_frame(Opcode::Pong, "x") + client_frame(Opcode::Text, "still here"));
  auto d = h.decode();
  ASSERT_EQ(d.replies.size(), 1u);
  EXPECT_EQ(d.replies[0].payload, "still here");
}

TYPED_TEST(SessionTest, close_is_echoed_and_later_data_ignored) {
  SessionHarness<TypeParam> h;
  h.open();
  std::string close_payload = "\x0f\xa0";  // 4000
  EXPECT_EQ(h.feed(client_frame(Opcode::Close, close_payload) + client_frame(Opcode::Text, "late")),
            Next::Close);
  auto d = h.decode();
  EXPECT_TRUE(d.closed);
  EXPECT_EQ(d.close_code, 4000);
  EXPECT_TRUE(d.replies.empty());
}

TYPED_TEST(SessionTest, empty_close_gets_empty_close) {
  SessionHarness<TypeParam> h;
  h.open();
  EXPECT_EQ(h.feed(client_frame(Opcode::Close, "")), Next::Close);
  auto d = h.decode();
  EXPECT_TRUE(d.closed);
  EXPECT_EQ(d.close_code, 1005);  // no code on the wire
}

TYPED_TEST(SessionTest, protocol_violation_fails_with_1002_close_frame) {
  SessionHarness<TypeParam> h;
  h.open();
  std::string frame = client_frame(Opcode::Text, "x");
  frame[0] = static_cast<char>(frame[0] | 0x40);  // RSV1 without an extension
  EXPECT_EQ(h.feed(frame), Next::Close);
  auto d = h.decode();
  EXPECT_TRUE(d.closed);
  EXPECT_EQ(d.close_code, 1002);
}

TYPED_TEST(SessionTest, invalid_utf8_fails_with_1007) {
  SessionHarness<TypeParam> h;
  h.open();
  EXPECT_EQ(h.feed(client_frame(Opcode::Text, "ok\xc0\xaf")), Next::Close);
  auto d = h.decode();
  EXPECT_EQ(d.close_code, 1007);
  EXPECT_TRUE(d.replies.empty());
}

TYPED_TEST(SessionTest, oversize_message_refused_at_header_with_1009) {
  variants::SessionLimits limits;
  limits.protocol.max_message = 1000;
  SessionHarness<TypeParam> h(limits);
  h.open();
  std::string frame = client_frame(Opcode::Binary, std::string(1001, 'z'));
  EXPECT_EQ(h.feed(frame.substr(0, 8)), Next::Close);  // header only: the payload never came
  auto d = h.decode();
  EXPECT_EQ(d.close_code, 1009);
  EXPECT_EQ(d.close_reason, "message 1001 B > max_message 1000");  // value and limit (issue 13)
}

TYPED_TEST(SessionTest, blocked_peer_keeps_order_and_gets_everything_later) {
  SessionHarness<TypeParam, variants::ThrottledWriter> h;
  h.open();
  h.writer.set_budget(100);  // the peer stops reading
  for (int i = 0; i < 50; ++i) h.feed(client_frame(Opcode::Binary, std::string(1000, char('A' + i % 26))));
  EXPECT_GT(h.session.unsent_bytes(), 40'000u);
  h.writer.set_budget(SIZE_MAX);  // the peer reads again
  EXPECT_EQ(h.session.flush(), variants::WriteOutcome::Flushed);
  EXPECT_EQ(h.session.unsent_bytes(), 0u);
  auto d = h.decode();
  ASSERT_EQ(d.replies.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(d.replies[i].payload, std::string(1000, char('A' + i % 26)));
}

}  // namespace
}  // namespace wsalloc::testing
