// permessage-deflate with Boost.Beast's client (its own extension and zlib port) against a server
// started with --deflate (the command after `--`, as for beast_client_test.cpp). Each case offers
// one parameter set, checks the 101 agreed to it, and echoes compressible and random messages of
// every length class, fragmented ones, and messages around control frames.
#include "server_process.hpp"
#include "watchdog.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using wsalloc::test::ServerProcess;
using namespace std::chrono_literals;

std::vector<std::string> g_server_cmd;

std::string json_like(size_t n, unsigned seed) {
  std::string s;
  for (unsigned i = seed; s.size() < n; ++i)
    s += "{\"id\":" + std::to_string(i * 7919 % 100003) + ",\"name\":\"user-" + std::to_string(i % 97) + "\"},";
  s.resize(n);
  return s;
}

std::string noise(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = char(x >> 24);
  }
  return s;
}

class BeastDeflateClient : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(g_server_cmd.empty()) << "no server command: pass it after `--`";
    auto started = server_.start(g_server_cmd, 10s);
    ASSERT_EQ(started, ServerProcess::StartResult::Ready) << to_string(started) << ": " << server_.error();
  }

  void TearDown() override {
    beast::error_code ec;
    if (ws_ && ws_->is_open()) ws_->close(websocket::close_code::normal, ec);
    const bool timed_out = watchdog_ && watchdog_->fired();
    watchdog_.reset();
    ws_.reset();
    EXPECT_FALSE(timed_out) << "test overran its deadline; socket shut down";
    if (!server_.running()) return;
    auto stopped = server_.stop(5s);
    EXPECT_EQ(stopped, ServerProcess::StopResult::Exited) << to_string(stopped) << ": " << server_.error();
    if (stopped == ServerProcess::StopResult::Exited) {
      EXPECT_EQ(server_.exit_code(), 0);
    }
  }

  // Connects offering `pmd`; returns the 101's Sec-WebSocket-Extensions value.
  std::string open(websocket::permessage_deflate pmd) {
    ws_.emplace(ioc_);
    pmd.client_enable = true;
    ws_->set_option(pmd);
    ws_->read_message_max(32u << 20);
    beast::error_code ec;
    ws_->next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_.port()), ec);
    EXPECT_FALSE(ec) << ec.message();
    ws_->next_layer().set_option(tcp::no_delay(true));
    watchdog_.emplace(ws_->next_layer().native_handle(), 30s);  // a 1 MiB compressed echo takes ms
    websocket::response_type res;
    ws_->handshake(res, "127.0.0.1:" + std::to_string(server_.port()), "/", ec);
    EXPECT_FALSE(ec) << "handshake: " << ec.message();
    return std::string(res[http::field::sec_websocket_extensions]);
  }

  std::string echo(std::string_view payload, bool text) {
    ws_->text(text);
    ws_->write(asio::buffer(payload.data(), payload.size()));
    beast::flat_buffer buf;
    ws_->read(buf);
    EXPECT_EQ(ws_->got_text(), text);
    return beast::buffers_to_string(buf.data());
  }

  void exercise() {
    for (size_t n : {0, 1, 125, 126, 4096, 65535, 65536, 300000, 1 << 20}) {
      const std::string t = json_like(n, static_cast<unsigned>(n));
      EXPECT_TRUE(echo(t, true) == t) << n << " B of JSON-like text";
      const std::string b = noise(n, static_cast<uint32_t>(n));
      EXPECT_TRUE(echo(b, false) == b) << n << " random bytes";
    }
    // Beast splits a compressed message into frames of write_buffer_bytes: RSV1 on the first only.
    ws_->auto_fragment(true);
    ws_->write_buffer_bytes(512);
    const std::string big = json_like(50000, 3);
    EXPECT_TRUE(echo(big, true) == big) << "auto-fragmented compressed message";
    ws_->auto_fragment(false);
    std::vector<std::string> pongs;
    ws_->control_callback([&](websocket::frame_type kind, beast::string_view payload) {
      if (kind == websocket::frame_type::pong) pongs.emplace_back(payload);
    });
    ws_->ping(websocket::ping_data("between"));
    EXPECT_EQ(echo("after the ping", true), "after the ping");
    EXPECT_EQ(pongs, std::vector<std::string>{"between"});
    ws_->text(true);
    for (int i = 0; i < 50; ++i) ws_->write(asio::buffer(json_like(100 + i, i)));
    for (int i = 0; i < 50; ++i) {
      beast::flat_buffer buf;
      ws_->read(buf);
      EXPECT_EQ(beast::buffers_to_string(buf.data()), json_like(100 + i, i)) << "pipelined message " << i;
    }
  }

  ServerProcess server_;
  asio::io_context ioc_;
  std::optional<websocket::stream<tcp::socket>> ws_;
  std::optional<Watchdog> watchdog_;  // reset before ws_: it holds ws_'s descriptor
};

TEST_F(BeastDeflateClient, default_offer_with_context_takeover) {
  websocket::permessage_deflate pmd;
  EXPECT_EQ(open(pmd).rfind("permessage-deflate", 0), 0u) << "not agreed";
  exercise();
}

TEST_F(BeastDeflateClient, no_context_takeover_both_ways) {
  websocket::permessage_deflate pmd;
  pmd.server_no_context_takeover = true;
  pmd.client_no_context_takeover = true;
  const std::string agreed = open(pmd);
  EXPECT_NE(agreed.find("server_no_context_takeover"), std::string::npos) << agreed;
  exercise();
}

TEST_F(BeastDeflateClient, small_windows_and_memory_levels) {
  websocket::permessage_deflate pmd;
  pmd.server_max_window_bits = 9;   // Beast's floor ("a bug in ZLib" keeps it from 8)
  pmd.client_max_window_bits = 10;
  pmd.memLevel = 1;
  pmd.compLevel = 1;
  const std::string agreed = open(pmd);
  EXPECT_NE(agreed.find("server_max_window_bits=9"), std::string::npos) << agreed;
  exercise();
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    if (i == 1 && std::string_view(argv[i]) == "--") continue;
    g_server_cmd.emplace_back(argv[i]);
  }
  if (g_server_cmd.empty()) {
    if (const char* env = std::getenv("WSALLOC_SERVER_CMD")) {
      std::istringstream words(env);
      for (std::string w; words >> w;) g_server_cmd.push_back(w);
    }
  }
  return RUN_ALL_TESTS();
}
