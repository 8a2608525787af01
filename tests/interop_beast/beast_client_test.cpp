// Interoperability with a client no one here wrote: Boost.Beast's synchronous WebSocket client.
//
// Runs against any server command line that follows the wsalloc CLI contract, given after `--` on
// the command line (ctest passes it; see WsallocBeastInterop.cmake) or in WSALLOC_SERVER_CMD
// (space-separated) for a manual run. Every test case starts its own server, so one failure cannot
// leak into the next, and every test ends by stopping it with SIGTERM and requiring exit code 0.
//
// Beast's synchronous calls have no timeout of their own: a Watchdog shuts the socket down when a
// test overruns, which makes the blocked call fail instead of hanging the suite.
#include "server_process.hpp"
#include "watchdog.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using wsalloc::test::ServerProcess;
using namespace std::chrono_literals;

std::vector<std::string> g_server_cmd;

constexpr auto kReadyTimeout = 10s;
constexpr auto kStopTimeout = 5s;
// Whole-test bound for the client side; a 1 MiB loopback echo takes milliseconds.
constexpr auto kTestDeadline = 20s;

std::string server_cmd_text() {
  std::string s;
  for (const auto& a : g_server_cmd) s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;  // LCG: every byte position differs, so a shifted echo fails
    c = char(x >> 24);
  }
  return s;
}

class BeastClient : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(g_server_cmd.empty())
        << "no server command: pass it after `--` or set WSALLOC_SERVER_CMD";
    auto started = server_.start(g_server_cmd, kReadyTimeout);
    ASSERT_EQ(started, ServerProcess::StartResult::Ready)
        << to_string(started) << ": " << server_.error();

    beast::error_code ec;
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), server_.port());
    ws_.next_layer().connect(ep, ec);
    ASSERT_FALSE(ec) << "connect(127.0.0.1:" << server_.port() << "): " << ec.message();
    ws_.next_layer().set_option(tcp::no_delay(true));
    watchdog_.emplace(ws_.next_layer().native_handle(), kTestDeadline);
    ws_.handshake("127.0.0.1:" + std::to_string(server_.port()), "/interop", ec);
    ASSERT_FALSE(ec) << "handshake with `" << server_cmd_text() << "`: " << ec.message();
  }

  void TearDown() override {
    beast::error_code ec;
    // Leave cleanly so the server's shutdown does not wait on a peer that stopped reading.
    if (ws_.is_open()) ws_.close(websocket::close_code::normal, ec);
    ws_.next_layer().close(ec);
    const bool timed_out = watchdog_ && watchdog_->fired();
    watchdog_.reset();
    EXPECT_FALSE(timed_out) << "test overran " << kTestDeadline.count() << " s; socket shut down";
    if (!server_.running()) return;  // SetUp failed before or while starting it
    auto stopped = server_.stop(kStopTimeout);
    EXPECT_EQ(stopped, ServerProcess::StopResult::Exited)
        << to_string(stopped) << ": " << server_.error();
    if (stopped == ServerProcess::StopResult::Exited) {
      EXPECT_EQ(server_.exit_code(), 0) << "`" << server_cmd_text() << "` after SIGTERM";
    }
  }

  // Sends one message and reads one back; the reply must have the same type.
  std::string echo(std::string_view payload, bool text) {
    ws_.text(text);
    ws_.write(asio::buffer(payload.data(), payload.size()));
    return read_one(text);
  }

  std::string read_one(bool expect_text) {
    beast::flat_buffer buf;
    ws_.read(buf);
    EXPECT_EQ(ws_.got_text(), expect_text) << "echo changed the message type";
    return beast::buffers_to_string(buf.data());
  }

  ServerProcess server_;
  asio::io_context ioc_;
  websocket::stream<tcp::socket> ws_{ioc_};
  std::optional<Watchdog> watchdog_;
};

TEST_F(BeastClient, text_echo_preserves_multibyte_utf8) {
  // 1-, 2-, 3- and 4-byte sequences.
  const std::string msg = "ascii, caf\xC3\xA9, \xE2\x82\xAC 20, \xE4\xB8\xAD\xE6\x96\x87, \xF0\x9D\x84\x9E";
  EXPECT_EQ(echo(msg, true), msg);
}

TEST_F(BeastClient, binary_echo_preserves_every_byte_value) {
  std::string msg;
  for (int round = 0; round < 4; ++round)
    for (int b = 0; b < 256; ++b) msg.push_back(char(b));
  EXPECT_EQ(echo(msg, false), msg);
}

TEST_F(BeastClient, fragmented_text_split_inside_a_character_is_echoed_whole) {
  ws_.auto_fragment(false);  // exactly the frames written below
  ws_.text(true);
  // U+1D11E (F0 9D 84 9E) is split between the second and third fragment: the server must validate
  // UTF-8 across fragments, not per frame.
  ws_.write_some(false, asio::buffer(std::string_view("fragmented ")));
  ws_.write_some(false, asio::buffer(std::string_view("text \xF0\x9D")));
  ws_.write_some(true, asio::buffer(std::string_view("\x84\x9E end")));
  EXPECT_EQ(read_one(true), "fragmented text \xF0\x9D\x84\x9E end");
}

TEST_F(BeastClient, auto_fragmented_binary_message_is_echoed_whole) {
  // Beast splits a message into frames of write_buffer_bytes when auto_fragment is on.
  ws_.auto_fragment(true);
  ws_.write_buffer_bytes(256);
  const std::string msg = pattern(10'000, 1);  // 40 frames
  EXPECT_EQ(echo(msg, false), msg);
}

TEST_F(BeastClient, ping_between_fragments_gets_pong_and_message_stays_whole) {
  std::vector<std::string> pongs;
  ws_.control_callback([&](websocket::frame_type kind, beast::string_view payload) {
    if (kind == websocket::frame_type::pong) pongs.emplace_back(payload);
  });
  ws_.auto_fragment(false);
  ws_.text(false);
  ws_.write_some(false, asio::buffer(std::string_view("first half, ")));
  ws_.ping(websocket::ping_data("between"));
  ws_.write_some(true, asio::buffer(std::string_view("second half")));
  EXPECT_EQ(read_one(false), "first half, second half");
  EXPECT_EQ(pongs, std::vector<std::string>{"between"});
}

TEST_F(BeastClient, empty_messages_are_echoed_with_their_type) {
  EXPECT_EQ(echo("", true), "");
  EXPECT_EQ(echo("", false), "");
  // The connection is still usable afterwards.
  EXPECT_EQ(echo("after empty", true), "after empty");
}

TEST_F(BeastClient, one_mebibyte_binary_message_is_echoed_intact) {
  const std::string msg = pattern(1u << 20, 7);
  std::string back = echo(msg, false);
  ASSERT_EQ(back.size(), msg.size());
  EXPECT_TRUE(back == msg) << "1 MiB echo differs";
}

TEST_F(BeastClient, several_messages_in_a_row_come_back_in_order) {
  ws_.text(true);
  for (int i = 0; i < 16; ++i) ws_.write(asio::buffer("message " + std::to_string(i)));
  for (int i = 0; i < 16; ++i) EXPECT_EQ(read_one(true), "message " + std::to_string(i));
}

TEST_F(BeastClient, ping_is_answered_with_pong_carrying_same_payload) {
  std::vector<std::string> pongs;
  ws_.control_callback([&](websocket::frame_type kind, beast::string_view payload) {
    if (kind == websocket::frame_type::pong) pongs.emplace_back(payload);
  });
  ws_.ping(websocket::ping_data("wsalloc-ping"));
  // Control frames are seen while reading: the echo that follows the ping carries the pong in front.
  EXPECT_EQ(echo("after ping", true), "after ping");
  EXPECT_EQ(pongs, std::vector<std::string>{"wsalloc-ping"});
}

TEST_F(BeastClient, close_1000_is_answered_with_close_1000) {
  beast::error_code ec;
  ws_.close(websocket::close_code::normal, ec);
  EXPECT_FALSE(ec) << "close handshake: " << ec.message();
  EXPECT_EQ(ws_.reason().code, websocket::close_code::normal) << "server's close frame code";
}

TEST_F(BeastClient, sigterm_closes_open_connection_with_going_away) {
  EXPECT_EQ(echo("before shutdown", true), "before shutdown");
  server_.terminate();
  beast::flat_buffer buf;
  beast::error_code ec;
  ws_.read(buf, ec);  // answers the server's close frame and waits for the TCP close
  EXPECT_EQ(ec, websocket::error::closed)
      << "expected a close frame from the shutting-down server, got: " << ec.message();
  EXPECT_EQ(ws_.reason().code, websocket::close_code::going_away);
  // TearDown checks the exit code is 0.
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // What gtest left is the server command line, optionally after a `--`.
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
