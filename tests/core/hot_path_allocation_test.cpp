// The protocol core promises no heap allocation: every core entry point runs inside an
// AllocScope, which counts what the thread allocates by ANY route: malloc, calloc, realloc,
// aligned_alloc... and every operator new (harness/malloccount/alloc_scope.hpp). Counting only
// operator new, as this test once did, could not see OpenSSL, which allocates with malloc.
// Own executable: AllocScope replaces the process's malloc (one user per process).
#include "core/protocol.hpp"
#include "core/handshake.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "malloccount/alloc_scope.hpp"

namespace wsalloc::core {
namespace {

struct CountingSink {
  size_t bytes = 0, events = 0;
  void on_data(Opcode, std::span<uint8_t> c, bool, bool) { bytes += c.size(), ++events; }
  void on_ping(std::span<const uint8_t>) { ++events; }
  void on_pong(std::span<const uint8_t>) { ++events; }
  void on_close(uint16_t, std::string_view) { ++events; }
  void on_protocol_error(CloseCode, std::string_view) { ++events; }
};

TEST(HotPathAllocation, parser_feed_does_not_allocate_even_bytewise) {
  // Build the input before counting.
  std::vector<uint8_t> s(64 * 1024);
  size_t n = 0;
  auto put = [&](Opcode op, bool fin, const std::string& payload) {
    n += write_frame_header(s.data() + n, op, fin, payload.size(), 0x01020304u);
    mask_copy(s.data() + n, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), 0x01020304u);
    n += payload.size();
  };
  put(Opcode::Text, false, "hello \xCE\xBA");
  put(Opcode::Ping, true, "ping");
  put(Opcode::Continuation, true, std::string(300, 'x'));
  put(Opcode::Binary, true, std::string(20000, 'b'));
  put(Opcode::Close, true, "\x03\xE8ok");
  s.resize(n);
  std::vector<uint8_t> copy = s;
  CountingSink sink;
  ProtocolParser<Role::Server, CountingSink> parser(sink);

  uint64_t allocations;
  {
    malloccount::AllocScope scope;
    EXPECT_EQ(parser.feed(s), ParserState::CloseReceived);
    parser.reset();
    for (size_t i = 0; i < copy.size(); ++i) parser.feed(std::span<uint8_t>(copy.data() + i, 1));
    allocations = scope.allocations();
  }

  EXPECT_EQ(parser.state(), ParserState::CloseReceived);
  EXPECT_EQ(allocations, 0u) << "heap allocations (malloc or new) during feed()";
  EXPECT_GT(sink.events, 8u);
}

TEST(HotPathAllocation, handshake_parse_and_response_do_not_allocate) {
  const std::string req =
      "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  char out[512];
  uint64_t allocations;
  HandshakeStatus status;
  size_t written;
  {
    malloccount::AllocScope scope;
    HandshakeParser p;
    status = p.feed(req);
    written = write_handshake_response(status, p.request(), out, sizeof out);  // SHA-1 via OpenSSL
    allocations = scope.allocations();
  }
  EXPECT_EQ(status, HandshakeStatus::Accepted);
  EXPECT_GT(written, 0u);
  EXPECT_EQ(allocations, 0u) << "heap allocations (malloc or new) during the handshake";
}

}  // namespace
}  // namespace wsalloc::core
