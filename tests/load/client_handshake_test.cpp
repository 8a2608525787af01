#include "load/client_handshake.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/handshake.hpp"

namespace wsalloc::load {
namespace {

struct Exchange {
  std::string key;
  std::string request;
  std::string response;
};

// Our request through the core's server-side parser, and the core's 101 back.
Exchange exchange(std::string_view host = "127.0.0.1", std::string_view path = "/chat?x=1") {
  Wyrand rng(3);
  Exchange e;
  char key[kClientKeyChars];
  make_client_key(rng, key);
  e.key.assign(key, kClientKeyChars);
  char req[1024];
  const size_t n = write_client_request(req, sizeof req, host, 9000, path, e.key);
  EXPECT_GT(n, 0u);
  e.request.assign(req, n);
  core::HandshakeParser hp;
  EXPECT_EQ(hp.feed(e.request), core::HandshakeStatus::Accepted) << e.request;
  EXPECT_EQ(hp.request().target, path);
  EXPECT_EQ(hp.request().key, e.key);
  char resp[512];
  e.response.assign(resp, core::write_handshake_response(core::HandshakeStatus::Accepted, hp.request(), resp, sizeof resp));
  return e;
}

TEST(ClientHandshake, request_is_accepted_by_the_core_server_parser) {
  exchange();
  exchange("::1", "/");  // IPv6 literal goes in brackets in Host
}

TEST(ClientHandshake, extension_offer_goes_in_the_request_and_the_answer_is_collected_not_refused) {
  Wyrand rng(5);
  char key[kClientKeyChars];
  make_client_key(rng, key);
  const std::string k(key, kClientKeyChars);
  char req[1024];
  const size_t n = write_client_request(req, sizeof req, "127.0.0.1", 9000, "/", k, "permessage-deflate; client_max_window_bits");
  core::HandshakeParser hp;
  ASSERT_EQ(hp.feed({req, n}), core::HandshakeStatus::Accepted) << std::string(req, n);
  EXPECT_EQ(hp.request().extensions, "permessage-deflate; client_max_window_bits");
  char resp[512];
  const std::string r(resp, core::write_handshake_response(core::HandshakeStatus::Accepted, hp.request(), resp, sizeof resp,
                                                           "permessage-deflate; server_no_context_takeover"));
  ResponseInfo info;
  EXPECT_EQ(check_server_response(r, k, info, /*extensions_requested=*/true), ResponseCheck::Accepted);
  ASSERT_EQ(info.extension_count, 1u);
  EXPECT_EQ(info.extensions[0], "permessage-deflate; server_no_context_takeover");
  ResponseInfo plain;
  EXPECT_EQ(check_server_response(r, k, plain), ResponseCheck::UnrequestedExtra) << "not offered: still refused";
}

TEST(ClientHandshake, key_is_base64_of_16_random_bytes) {
  Wyrand rng(9);
  char a[kClientKeyChars], b[kClientKeyChars];
  make_client_key(rng, a);
  make_client_key(rng, b);
  EXPECT_NE(std::string(a, 24), std::string(b, 24));
  EXPECT_EQ(a[22], '=');
  EXPECT_EQ(a[23], '=');
}

TEST(ClientHandshake, core_101_response_is_accepted_and_frames_after_it_are_left_alone) {
  auto e = exchange();
  const size_t head = e.response.size();
  e.response += "\x81\x02hi";
  ResponseInfo info;
  EXPECT_EQ(check_server_response(e.response, e.key, info), ResponseCheck::Accepted);
  EXPECT_EQ(info.status, 101);
  EXPECT_EQ(info.head_bytes, head);
}

TEST(ClientHandshake, response_split_anywhere_is_incomplete_until_the_end) {
  const auto e = exchange();
  for (size_t n = 0; n + 1 < e.response.size(); ++n) {
    ResponseInfo info;
    ASSERT_EQ(check_server_response(std::string_view(e.response).substr(0, n), e.key, info), ResponseCheck::Incomplete) << n;
  }
}

TEST(ClientHandshake, wrong_accept_key_is_refused) {
  auto e = exchange();
  const size_t at = e.response.find("Sec-WebSocket-Accept: ") + 22;
  e.response[at] = e.response[at] == 'A' ? 'B' : 'A';
  ResponseInfo info;
  EXPECT_EQ(check_server_response(e.response, e.key, info), ResponseCheck::BadAccept);
}

TEST(ClientHandshake, each_missing_requirement_is_named) {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455's example: accept s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
  ResponseInfo info;
  EXPECT_EQ(check_server_response("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", key, info), ResponseCheck::NotSwitching);
  EXPECT_EQ(info.status, 404);
  EXPECT_EQ(check_server_response("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", key, info),
            ResponseCheck::NoUpgrade);
  EXPECT_EQ(check_server_response("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", key, info),
            ResponseCheck::NoConnection);
  EXPECT_EQ(check_server_response("HTTP/1.1 101 OK\r\nUpgrade: WebSocket\r\nConnection: keep-alive, UPGRADE\r\n"
                                  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", key, info),
            ResponseCheck::Accepted);
  EXPECT_EQ(check_server_response("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                                  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", key, info),
            ResponseCheck::UnrequestedExtra);
  EXPECT_EQ(check_server_response("HTTP/1.0 101 OK\r\n\r\n", key, info), ResponseCheck::Malformed);
  EXPECT_EQ(check_server_response("HTTP/1.1 101 OK\r\nbroken header\r\n\r\n", key, info), ResponseCheck::Malformed);
  EXPECT_EQ(check_server_response(std::string(kMaxResponseHead, 'x'), key, info), ResponseCheck::TooLarge);
}

TEST(ClientHandshake, request_that_does_not_fit_reports_zero) {
  char buf[40];
  EXPECT_EQ(write_client_request(buf, sizeof buf, "127.0.0.1", 80, "/", "dGhlIHNhbXBsZSBub25jZQ=="), 0u);
}

}  // namespace
}  // namespace wsalloc::load
