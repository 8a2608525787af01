#include "core/handshake.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/deflate_negotiation.hpp"

namespace wsalloc::core {
namespace {

// RFC 6455 section 1.2's sample request (with CRLF line ends).
const std::string kSample =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

// Builds a request from a request line and header lines (each without CRLF).
std::string request(std::string_view line, std::initializer_list<std::string_view> headers) {
  std::string r(line);
  r += "\r\n";
  for (auto h : headers) {
    r += h;
    r += "\r\n";
  }
  r += "\r\n";
  return r;
}

const std::initializer_list<std::string_view> kGoodHeaders = {
    "Host: localhost:9001", "Upgrade: websocket", "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"};

HandshakeStatus parse_once(std::string_view req, HandshakeLimits limits = {}) {
  HandshakeParser p(limits);
  return p.feed(req);
}

TEST(AcceptKey, rfc6455_sample_key_gives_the_sample_accept) {
  char out[28];
  compute_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out);
  EXPECT_EQ(std::string_view(out, 28), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, rfc_sample_request_is_accepted_with_every_field_viewed) {
  HandshakeParser p;
  ASSERT_EQ(p.feed(kSample), HandshakeStatus::Accepted);
  const auto& r = p.request();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/chat");
  EXPECT_EQ(r.host, "server.example.com");
  EXPECT_EQ(r.key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(r.version, "13");
  EXPECT_EQ(r.upgrade, "websocket");
  EXPECT_EQ(r.connection, "Upgrade");
  EXPECT_EQ(r.protocol, "chat, superchat");
  EXPECT_EQ(r.origin, "http://example.com");
  EXPECT_EQ(r.extensions, "");
  EXPECT_EQ(r.header_bytes, kSample.size());
  // Views point into the caller's buffer, not into copies.
  EXPECT_GE(r.host.data(), kSample.data());
  EXPECT_LT(r.host.data(), kSample.data() + kSample.size());
}

TEST(Handshake, request_growing_one_byte_at_a_time_is_incomplete_until_the_last_byte) {
  HandshakeParser p;
  for (size_t n = 0; n < kSample.size(); ++n)
    ASSERT_EQ(p.feed(std::string_view(kSample).substr(0, n)), HandshakeStatus::Incomplete) << "prefix " << n;
  ASSERT_EQ(p.feed(kSample), HandshakeStatus::Accepted);
  EXPECT_EQ(p.request().key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(p.request().header_bytes, kSample.size());
}

TEST(Handshake, request_split_in_two_at_every_byte_boundary_is_accepted) {
  for (size_t i = 0; i <= kSample.size(); ++i) {
    HandshakeParser p;
    const auto first = p.feed(std::string_view(kSample).substr(0, i));
    ASSERT_EQ(first, i == kSample.size() ? HandshakeStatus::Accepted : HandshakeStatus::Incomplete) << i;
    ASSERT_EQ(p.feed(kSample), HandshakeStatus::Accepted) << "split at " << i;
    ASSERT_EQ(p.request().header_bytes, kSample.size());
  }
}

TEST(Handshake, terminal_status_is_repeated_until_reset) {
  HandshakeParser p;
  EXPECT_EQ(p.feed(kSample), HandshakeStatus::Accepted);
  EXPECT_EQ(p.feed("garbage"), HandshakeStatus::Accepted);
  p.reset();
  EXPECT_EQ(p.feed("GET / HTTP/1.1\r\n"), HandshakeStatus::Incomplete);
}

TEST(Handshake, leftover_bytes_after_the_header_are_not_part_of_it) {
  const std::string with_frame = kSample + "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
  HandshakeParser p;
  ASSERT_EQ(p.feed(with_frame), HandshakeStatus::Accepted);
  EXPECT_EQ(p.request().header_bytes, kSample.size());
  EXPECT_EQ(with_frame.substr(p.request().header_bytes).size(), 11u);
}

TEST(Handshake, header_names_are_case_insensitive_and_values_trimmed) {
  const std::string r = request("GET /x?y=1 HTTP/1.1", {"HOST:   example   ", "upgrade:WebSocket",
                                                       "CONNECTION: keep-alive ,  UPGRADE",
                                                       "sec-websocket-KEY:\tdGhlIHNhbXBsZSBub25jZQ==\t",
                                                       "SEC-WEBSOCKET-VERSION: 13"});
  HandshakeParser p;
  ASSERT_EQ(p.feed(r), HandshakeStatus::Accepted);
  EXPECT_EQ(p.request().host, "example");
  EXPECT_EQ(p.request().key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(p.request().target, "/x?y=1");
}

TEST(Handshake, upgrade_token_found_among_several_connection_headers) {
  EXPECT_EQ(parse_once(request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: keep-alive",
                                                  "Connection: Upgrade",
                                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                                                  "Sec-WebSocket-Version: 13"})),
            HandshakeStatus::Accepted);
}

TEST(Handshake, plain_get_is_not_websocket) {
  const std::string stats = request("GET /stats HTTP/1.1", {"Host: localhost", "Accept: */*"});
  HandshakeParser p;
  ASSERT_EQ(p.feed(stats), HandshakeStatus::NotWebSocket);
  EXPECT_EQ(p.request().target, "/stats");
  EXPECT_EQ(parse_once(request("GET / HTTP/1.1", {"Host: h", "Upgrade: h2c", "Connection: Upgrade"})),
            HandshakeStatus::NotWebSocket);
}

struct Failure {
  const char* name;
  std::string req;
  HandshakeStatus want;
};

TEST(Handshake, each_failure_gets_its_status) {
  const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";
  const Failure cases[] = {
      {"missing key", request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: Upgrade",
                                                 "Sec-WebSocket-Version: 13"}),
       HandshakeStatus::BadRequest},
      {"key too short", request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: Upgrade",
                                                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=",
                                                   "Sec-WebSocket-Version: 13"}),
       HandshakeStatus::BadRequest},
      {"key of 15 bytes", request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: Upgrade",
                                                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ",
                                                     "Sec-WebSocket-Version: 13"}),
       HandshakeStatus::BadRequest},
      {"key of 17 bytes", request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: Upgrade",
                                                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQAA",
                                                     "Sec-WebSocket-Version: 13"}),
       HandshakeStatus::BadRequest},
      {"key not base64", request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: Upgrade",
                                                    "Sec-WebSocket-Key: dGhlIHNhbXBsZ*Bub25jZQ==",
                                                    "Sec-WebSocket-Version: 13"}),
       HandshakeStatus::BadRequest},
      {"duplicate key", request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: Upgrade", key, key,
                                                   "Sec-WebSocket-Version: 13"}),
       HandshakeStatus::BadRequest},
      {"missing host", request("GET / HTTP/1.1", {"Upgrade: websocket", "Connection: Upgrade", key,
                                                  "Sec-WebSocket-Version: 13"}),
       HandshakeStatus::BadRequest},
      {"HTTP/1.0", request("GET / HTTP/1.0", kGoodHeaders), HandshakeStatus::BadRequest},
      {"unknown version", request("GET / HTTP/2.7", kGoodHeaders), HandshakeStatus::BadRequest},
      {"missing target", request("GET HTTP/1.1", kGoodHeaders), HandshakeStatus::BadRequest},
      {"garbage line", request("hello", kGoodHeaders), HandshakeStatus::BadRequest},
      {"header without colon", request("GET / HTTP/1.1", {"Host: h", "Upgrade websocket"}), HandshakeStatus::BadRequest},
      {"space before colon", request("GET / HTTP/1.1", {"Host : h", "Upgrade: websocket"}), HandshakeStatus::BadRequest},
      {"obs-fold", request("GET / HTTP/1.1", {"Host: h", " folded", "Upgrade: websocket"}), HandshakeStatus::BadRequest},
      {"bare LF inside a header", request("GET / HTTP/1.1", {"Host: h\nX: y", "Upgrade: websocket"}),
       HandshakeStatus::BadRequest},
      {"body on GET", request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: Upgrade", key,
                                                 "Sec-WebSocket-Version: 13", "Content-Length: 5"}),
       HandshakeStatus::BadRequest},
      {"chunked body on GET", request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: Upgrade", key,
                                                         "Sec-WebSocket-Version: 13", "Transfer-Encoding: chunked"}),
       HandshakeStatus::BadRequest},
      {"POST", request("POST / HTTP/1.1", kGoodHeaders), HandshakeStatus::MethodNotAllowed},
      {"HEAD", request("HEAD / HTTP/1.1", {"Host: h"}), HandshakeStatus::MethodNotAllowed},
      {"version 8", request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: Upgrade", key,
                                               "Sec-WebSocket-Version: 8"}),
       HandshakeStatus::UpgradeRequired},
      {"missing version", request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: Upgrade", key}),
       HandshakeStatus::UpgradeRequired},
      {"connection without upgrade token", request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket",
                                                                      "Connection: keep-alive", key,
                                                                      "Sec-WebSocket-Version: 13"}),
       HandshakeStatus::UpgradeRequired},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_once(c.req), c.want) << c.name;
    // The same verdict when the request arrives one byte at a time.
    HandshakeParser p;
    HandshakeStatus s = HandshakeStatus::Incomplete;
    for (size_t n = 1; n <= c.req.size() && s == HandshakeStatus::Incomplete; ++n)
      s = p.feed(std::string_view(c.req).substr(0, n));
    EXPECT_EQ(s, c.want) << c.name << " (bytewise)";
  }
}

TEST(Handshake, content_length_zero_is_not_a_body) {
  EXPECT_EQ(parse_once(request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: Upgrade",
                                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                                                  "Sec-WebSocket-Version: 13", "Content-Length: 0"})),
            HandshakeStatus::Accepted);
}

TEST(Handshake, headers_over_8_kib_are_431_and_just_under_are_accepted) {
  auto with_filler = [](size_t filler) {
    std::string f = "X-Filler: " + std::string(filler, 'f');
    return request("GET / HTTP/1.1", {"Host: h", "Upgrade: websocket", "Connection: Upgrade",
                                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", f});
  };
  const size_t base = with_filler(0).size();
  const std::string exact = with_filler(8192 - base);
  ASSERT_EQ(exact.size(), 8192u);
  EXPECT_EQ(parse_once(exact), HandshakeStatus::Accepted);
  const std::string over = with_filler(8193 - base);
  EXPECT_EQ(parse_once(over), HandshakeStatus::HeadersTooLarge);
  // A stream of header bytes without an end: incomplete up to the limit, 431 once it is reached.
  const std::string endless = "GET / HTTP/1.1\r\nX: " + std::string(9000, 'a');
  HandshakeParser p;
  EXPECT_EQ(p.feed(std::string_view(endless).substr(0, 8191)), HandshakeStatus::Incomplete);
  EXPECT_EQ(p.feed(std::string_view(endless).substr(0, 8192)), HandshakeStatus::HeadersTooLarge);
}

TEST(Handshake, custom_header_limit_is_honoured) {
  EXPECT_EQ(parse_once(kSample, {.max_header_bytes = kSample.size()}), HandshakeStatus::Accepted);
  EXPECT_EQ(parse_once(kSample, {.max_header_bytes = kSample.size() - 1}), HandshakeStatus::HeadersTooLarge);
}

TEST(HandshakeResponse, status_codes_map_as_documented) {
  EXPECT_EQ(http_status_code(HandshakeStatus::Accepted), 101);
  EXPECT_EQ(http_status_code(HandshakeStatus::BadRequest), 400);
  EXPECT_EQ(http_status_code(HandshakeStatus::MethodNotAllowed), 405);
  EXPECT_EQ(http_status_code(HandshakeStatus::UpgradeRequired), 426);
  EXPECT_EQ(http_status_code(HandshakeStatus::NotWebSocket), 426);
  EXPECT_EQ(http_status_code(HandshakeStatus::HeadersTooLarge), 431);
  EXPECT_EQ(http_status_code(HandshakeStatus::Incomplete), 0);
}

TEST(HandshakeResponse, accepted_response_is_101_with_the_accept_key) {
  HandshakeParser p;
  ASSERT_EQ(p.feed(kSample), HandshakeStatus::Accepted);
  char out[512];
  const size_t n = write_handshake_response(HandshakeStatus::Accepted, p.request(), out, sizeof out);
  ASSERT_GT(n, 0u);
  const std::string_view r(out, n);
  EXPECT_EQ(r.substr(0, 34), "HTTP/1.1 101 Switching Protocols\r\n");
  EXPECT_NE(r.find("\r\nUpgrade: websocket\r\n"), std::string_view::npos);
  EXPECT_NE(r.find("\r\nConnection: Upgrade\r\n"), std::string_view::npos);
  EXPECT_NE(r.find("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string_view::npos);
  EXPECT_EQ(r.substr(r.size() - 4), "\r\n\r\n");
  EXPECT_EQ(r.find("\r\n\r\n"), r.size() - 4);
}

std::string response(HandshakeStatus s) {
  char out[512];
  const size_t n = write_handshake_response(s, HandshakeRequest{}, out, sizeof out);
  return std::string(out, n);
}

TEST(HandshakeResponse, error_responses_carry_status_length_and_close) {
  struct { HandshakeStatus s; const char* line; } cases[] = {
      {HandshakeStatus::BadRequest, "HTTP/1.1 400 Bad Request\r\n"},
      {HandshakeStatus::MethodNotAllowed, "HTTP/1.1 405 Method Not Allowed\r\n"},
      {HandshakeStatus::UpgradeRequired, "HTTP/1.1 426 Upgrade Required\r\n"},
      {HandshakeStatus::NotWebSocket, "HTTP/1.1 426 Upgrade Required\r\n"},
      {HandshakeStatus::HeadersTooLarge, "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
  };
  for (const auto& c : cases) {
    const std::string r = response(c.s);
    ASSERT_FALSE(r.empty());
    EXPECT_EQ(r.rfind(c.line, 0), 0u) << r;
    EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos) << r;
    const size_t body_at = r.find("\r\n\r\n") + 4;
    const std::string cl = "Content-Length: " + std::to_string(r.size() - body_at) + "\r\n";
    EXPECT_NE(r.find(cl), std::string::npos) << r;
  }
  EXPECT_NE(response(HandshakeStatus::UpgradeRequired).find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(response(HandshakeStatus::MethodNotAllowed).find("\r\nAllow: GET\r\n"), std::string::npos);
  EXPECT_EQ(response(HandshakeStatus::BadRequest).find("Sec-WebSocket-Version"), std::string::npos);
  EXPECT_TRUE(response(HandshakeStatus::Incomplete).empty());
}

TEST(HandshakeResponse, too_small_buffer_yields_zero) {
  HandshakeParser p;
  ASSERT_EQ(p.feed(kSample), HandshakeStatus::Accepted);
  char out[512];
  const size_t full = write_handshake_response(HandshakeStatus::Accepted, p.request(), out, sizeof out);
  EXPECT_EQ(write_handshake_response(HandshakeStatus::Accepted, p.request(), out, full - 1), 0u);
  EXPECT_EQ(write_handshake_response(HandshakeStatus::Accepted, p.request(), out, full), full);
  EXPECT_EQ(write_handshake_response(HandshakeStatus::BadRequest, p.request(), out, 10), 0u);
}

TEST(Handshake, every_extensions_field_is_kept_in_order) {
  HandshakeParser p;
  const std::string req =
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Extensions: x-one\r\nsec-websocket-extensions:  permessage-deflate; client_max_window_bits \r\n\r\n";
  ASSERT_EQ(p.feed(req), HandshakeStatus::Accepted);
  const auto list = p.request().extension_list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], "x-one");
  EXPECT_EQ(list[1], "permessage-deflate; client_max_window_bits");
  EXPECT_EQ(p.request().extensions, "x-one");
}

TEST(Handshake, extensions_fields_beyond_the_kept_number_are_dropped_not_fatal) {
  std::string req =
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  for (size_t i = 0; i < HandshakeRequest::kMaxExtensionFields + 3; ++i) req += "Sec-WebSocket-Extensions: e" + std::to_string(i) + "\r\n";
  req += "\r\n";
  HandshakeParser p;
  ASSERT_EQ(p.feed(req), HandshakeStatus::Accepted);
  EXPECT_EQ(p.request().extension_list().size(), HandshakeRequest::kMaxExtensionFields);
  EXPECT_EQ(p.request().extension_list().back(), "e" + std::to_string(HandshakeRequest::kMaxExtensionFields - 1));
}

TEST(Handshake, accepted_response_names_the_agreed_extension_and_still_fits_512_bytes) {
  HandshakeParser p;
  ASSERT_EQ(p.feed("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
            HandshakeStatus::Accepted);
  char out[512];
  const std::string ext(kMaxDeflateResponse, 'e');
  const size_t n = write_handshake_response(HandshakeStatus::Accepted, p.request(), out, sizeof out, ext);
  ASSERT_GT(n, 0u);
  const std::string r(out, n);
  EXPECT_NE(r.find("\r\nSec-WebSocket-Extensions: " + ext + "\r\n"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 4), "\r\n\r\n");
  const size_t plain = write_handshake_response(HandshakeStatus::Accepted, p.request(), out, sizeof out);
  EXPECT_EQ(std::string(out, plain).find("Extensions"), std::string::npos) << "none agreed: no header";
}

}  // namespace
}  // namespace wsalloc::core
