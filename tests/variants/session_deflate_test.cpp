// permessage-deflate through one Session per variant on the in-memory transport: negotiation in
// the handshake, compressed echoes in every size class, fragmented and split compressed messages,
// context takeover on and off, the failures RFC 7692 names. tests/conformance/test_deflate.py
// checks the same through the real binary.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "variant_harness.hpp"

namespace wsalloc::testing {
namespace {

using core::Opcode;
using variants::Next;

template <class Variant>
class SessionDeflate : public ::testing::Test {};
using Variants = ::testing::Types<variants::MallocVariant, variants::ArenaVariant, variants::PoolVariant,
                                  variants::ZeroCopyVariant>;
TYPED_TEST_SUITE(SessionDeflate, Variants);

variants::SessionLimits deflate_on(core::DeflateConfig c = {}) {
  variants::SessionLimits l;
  l.deflate = c;
  l.deflate.enabled = true;
  return l;
}

// Opens with `offer`, returns the 101's Sec-WebSocket-Extensions value ("" when absent).
template <class H>
std::string open_offering(H& h, std::string_view offer) {
  h.feed(upgrade_request_offering(offer));
  auto [head, rest] = split_http(h.writer.out);
  EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  h.writer.out = rest;
  const std::string key = "Sec-WebSocket-Extensions: ";
  const size_t at = head.find(key);
  if (at == std::string::npos) return "";
  return head.substr(at + key.size(), head.find("\r\n", at) - at - key.size());
}

std::string text_of(size_t n) {
  std::string s;
  while (s.size() < n) s += R"({"user":"κόσμε","id":12345,"tags":["a","b","c"]},)";
  s.resize(n);
  while (!s.empty() && (static_cast<uint8_t>(s.back()) & 0xC0) == 0x80) s.pop_back();
  if (!s.empty() && static_cast<uint8_t>(s.back()) >= 0xC0) s.pop_back();
  return s;
}

std::string noise(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

TYPED_TEST(SessionDeflate, offer_is_accepted_only_with_deflate_on) {
  SessionHarness<TypeParam> off;
  EXPECT_EQ(open_offering(off, "permessage-deflate; client_max_window_bits"), "")
      << "without --deflate the offer is declined and the handshake still completes";
  SessionHarness<TypeParam> on(deflate_on());
  EXPECT_EQ(open_offering(on, "permessage-deflate; client_max_window_bits"), "permessage-deflate");
}

TYPED_TEST(SessionDeflate, agreeing_allocates_nothing_until_the_first_compressed_message) {
  // An idle connection that agreed costs what one without the extension costs: for the arena its
  // connection area keeps its first block untouched until a message needs it.
  SessionHarness<TypeParam> h(deflate_on());
  ASSERT_EQ(open_offering(h, "permessage-deflate"), "permessage-deflate");
  EXPECT_EQ(h.session.pipeline().deflate(), nullptr);
  DeflatingClient c;
  h.feed(c.message(Opcode::Text, "first"));
  ASSERT_NE(h.session.pipeline().deflate(), nullptr);
  EXPECT_EQ(h.session.pipeline().deflate()->inflater.messages(), 1u);
}

TYPED_TEST(SessionDeflate, rsv1_without_agreement_fails_with_1002) {
  SessionHarness<TypeParam> h(deflate_on());
  h.open();  // no offer: nothing agreed
  DeflatingClient c;
  EXPECT_EQ(h.feed(c.message(Opcode::Text, "hello")), Next::Close);
  auto d = h.decode();
  EXPECT_EQ(d.close_code, 1002);
}

// Sends `msgs` in one read and checks the echoes. `d` lives as long as the connection: with
// context takeover the server's replies refer back to earlier ones.
void expect_echoes(auto& h, DeflatingClient& c, ReplyDecoder& d, const std::vector<std::pair<Opcode, std::string>>& msgs) {
  std::string all;
  for (const auto& [op, m] : msgs) all += c.message(op, m);
  h.feed(all);
  const size_t before = d.replies.size();
  const uint64_t compressed_before = d.compressed_messages();
  d.feed(h.writer.out);
  h.writer.out.clear();
  EXPECT_FALSE(d.failed);
  ASSERT_EQ(d.replies.size() - before, msgs.size());
  for (size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(d.replies[before + i].op, msgs[i].first) << i;
    EXPECT_TRUE(d.replies[before + i].payload == msgs[i].second) << "message " << i << " of " << msgs[i].second.size() << " B";
  }
  EXPECT_EQ(d.compressed_messages() - compressed_before, msgs.size()) << "every reply goes back compressed";
}

TYPED_TEST(SessionDeflate, echoes_compressed_messages_of_every_size_class_with_context_takeover) {
  SessionHarness<TypeParam> h(deflate_on());
  ASSERT_EQ(open_offering(h, "permessage-deflate"), "permessage-deflate");
  DeflatingClient c;
  ReplyDecoder d;
  d.enable_deflate({});
  std::vector<std::pair<Opcode, std::string>> msgs;
  for (size_t n : {0, 1, 125, 126, 2047, 2048, 65535, 65536, 70000, 1 << 20})
    msgs.push_back({n % 2 ? Opcode::Binary : Opcode::Text, n % 2 ? noise(n, static_cast<uint32_t>(n)) : text_of(n)});
  for (const auto& m : msgs) expect_echoes(h, c, d, {m});  // one read per message
  expect_echoes(h, c, d, msgs);                             // and all in one read
}

TYPED_TEST(SessionDeflate, echoes_without_context_takeover_in_either_direction) {
  core::DeflateConfig cfg;
  cfg.server_no_context_takeover = true;
  cfg.client_no_context_takeover = true;
  SessionHarness<TypeParam> h(deflate_on(cfg));
  ASSERT_EQ(open_offering(h, "permessage-deflate"),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  DeflatingClient c({15, true});
  ReplyDecoder d;
  d.enable_deflate({15, true});
  // Large messages too: the arena grows its message area for zlib's state between messages, so a
  // stream must never keep a pointer to the area it started on.
  for (size_t n : {100, 300000, 5, 1 << 20, 70000, 10})
    expect_echoes(h, c, d, {{Opcode::Text, text_of(n)}, {Opcode::Binary, noise(n, 7)}});
}

TYPED_TEST(SessionDeflate, fragmented_compressed_message_split_at_every_byte_is_echoed) {
  SessionHarness<TypeParam> h(deflate_on());
  open_offering(h, "permessage-deflate");
  DeflatingClient c;
  const std::string msg = text_of(3000);
  const std::string wire = c.message(Opcode::Text, msg, 3) + client_frame(Opcode::Ping, "p") +
                           c.message(Opcode::Binary, noise(500, 1), 2);
  for (char ch : wire) h.feed(std::string(1, ch));
  ReplyDecoder d;
  d.enable_deflate({});
  d.feed(h.writer.out);
  ASSERT_EQ(d.replies.size(), 3u);
  EXPECT_EQ(d.replies[0].payload, msg);
  EXPECT_EQ(d.replies[1].op, Opcode::Pong) << "control frames are never compressed";
  EXPECT_EQ(d.replies[2].payload, noise(500, 1));
  EXPECT_EQ(d.compressed_messages(), 2u);
}

TYPED_TEST(SessionDeflate, plain_messages_on_a_deflate_connection_are_echoed_compressed) {
  SessionHarness<TypeParam> h(deflate_on());
  open_offering(h, "permessage-deflate");
  h.feed(client_frame(Opcode::Text, "plain"));
  ReplyDecoder d;
  d.enable_deflate({});
  d.feed(h.writer.out);
  ASSERT_EQ(d.replies.size(), 1u);
  EXPECT_EQ(d.replies[0].payload, "plain");
  EXPECT_EQ(d.compressed_messages(), 1u);
}

TYPED_TEST(SessionDeflate, eight_bit_windows_in_both_directions) {
  core::DeflateConfig cfg;
  cfg.client_max_window_bits = 8;
  SessionHarness<TypeParam> h(deflate_on(cfg));
  ASSERT_EQ(open_offering(h, "permessage-deflate; server_max_window_bits=8; client_max_window_bits"),
            "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8");
  DeflatingClient c({8, false});
  ReplyDecoder d;
  d.enable_deflate({8, false});  // a strict 256-byte window: a longer distance would fail it
  std::string repeats;
  for (int i = 0; i < 50; ++i) repeats += noise(300, 3);  // repeats at distance 300: beyond 256
  expect_echoes(h, c, d, {{Opcode::Binary, repeats}, {Opcode::Text, text_of(5000)}});
}

TYPED_TEST(SessionDeflate, bomb_is_refused_with_1009) {
  variants::SessionLimits l = deflate_on();
  l.protocol.max_message = 65536;
  SessionHarness<TypeParam> h(l);
  open_offering(h, "permessage-deflate");
  DeflatingClient c;
  EXPECT_EQ(h.feed(c.message(Opcode::Binary, std::string(8u << 20, 'z'))), Next::Close);
  ReplyDecoder d;
  d.enable_deflate({});
  d.feed(h.writer.out);
  EXPECT_TRUE(d.replies.empty());
  EXPECT_EQ(d.close_code, 1009);
}

TYPED_TEST(SessionDeflate, bad_compressed_data_is_1007_and_rsv1_on_a_continuation_is_1002) {
  {
    SessionHarness<TypeParam> h(deflate_on());
    open_offering(h, "permessage-deflate");
    std::string f = client_frame(Opcode::Binary, "\xff\xff\xff\xff garbage");
    f[0] = static_cast<char>(f[0] | core::kRsv1);
    EXPECT_EQ(h.feed(f), Next::Close);
    EXPECT_EQ(h.decode().close_code, 1007);
  }
  {
    SessionHarness<TypeParam> h(deflate_on());
    open_offering(h, "permessage-deflate");
    std::string f = client_frame(Opcode::Text, "ab", false);
    std::string g = client_frame(Opcode::Continuation, "c");
    g[0] = static_cast<char>(g[0] | core::kRsv1);
    EXPECT_EQ(h.feed(f + g), Next::Close);
    EXPECT_EQ(h.decode().close_code, 1002);
  }
}

// Regression (found by the boundary replay with --deflate, issue 13): when compressed replies
// overflowed the zerocopy cork, compress_into_cork claimed the cork before the early flush that
// gives it up, so the reply was framed into a cork nobody owned: lost, and every later reply took
// the path around a cork nobody would flush again.
TYPED_TEST(SessionDeflate, compressed_replies_overflowing_the_cork_all_arrive_in_order) {
  SessionHarness<TypeParam> h(deflate_on());
  open_offering(h, "permessage-deflate");
  DeflatingClient c;
  ReplyDecoder d;
  d.enable_deflate({});
  std::vector<std::pair<Opcode, std::string>> msgs;  // noise: the compressed replies stay ~2 KiB
  for (uint32_t i = 0; i < 40; ++i) msgs.push_back({Opcode::Binary, noise(2000, i)});
  expect_echoes(h, c, d, msgs);
  expect_echoes(h, c, d, {{Opcode::Text, "after"}});
}

// Payload after a final (BFINAL) block is 1007 "data after the final deflate block", wherever the
// reads split it (the replay found "invalid compressed data" when the extra bytes came later).
TYPED_TEST(SessionDeflate, data_after_the_final_block_is_named_alike_at_every_split) {
  const std::string hello_final("\xf3\x48\xcd\xc9\xc9\x07\x00", 7);  // "Hello", BFINAL=1
  std::string f = client_frame(Opcode::Text, hello_final + std::string(2, '\0'));
  f[0] = static_cast<char>(f[0] | core::kRsv1);
  for (size_t cut = 0; cut <= f.size(); ++cut) {
    SessionHarness<TypeParam> h(deflate_on());
    open_offering(h, "permessage-deflate");
    if (cut > 0) h.feed(f.substr(0, cut));
    if (cut < f.size()) h.feed(f.substr(cut));
    const auto d = h.decode();
    EXPECT_EQ(d.close_code, 1007) << "split at " << cut;
    EXPECT_EQ(d.close_reason, "data after the final deflate block") << "split at " << cut;
  }
}

}  // namespace
}  // namespace wsalloc::testing
