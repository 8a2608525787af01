#pragma once
// wire_client.hpp: a test client speaking to a Session through memory: builds masked frames the
// way a browser would, and decodes the server's replies with the core parser in client role.
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/frame.hpp"
#include "core/protocol.hpp"

namespace wsalloc::testing {

inline const char* kUpgradeRequest =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";

inline std::string client_frame(core::Opcode op, std::string_view payload, bool fin = true,
                                uint32_t key = 0x5a17c0de) {
  std::string out(core::kMaxFrameHeader + payload.size(), '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  size_t h = core::write_frame_header(p, op, fin, payload.size(), key);
  core::mask_copy(p + h, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), key);
  out.resize(h + payload.size());
  return out;
}

struct Reply {
  core::Opcode op;
  std::string payload;
};

// Decodes server frames; collects whole messages and control frames in order.
class ReplyDecoder {
 public:
  std::vector<Reply> replies;
  uint16_t close_code = 0;
  bool closed = false;
  bool failed = false;

  // `wire` starts after the HTTP response (see split_http).
  void feed(std::string wire) {
    parser_.feed({reinterpret_cast<uint8_t*>(wire.data()), wire.size()});
  }

  void on_data(core::Opcode op, std::span<uint8_t> chunk, bool begin, bool end) {
    if (begin) current_.assign("");
    current_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    if (end) replies.push_back({op, current_});
  }
  void on_ping(std::span<const uint8_t> p) { replies.push_back({core::Opcode::Ping, str(p)}); }
  void on_pong(std::span<const uint8_t> p) { replies.push_back({core::Opcode::Pong, str(p)}); }
  void on_close(uint16_t code, std::string_view) {
    closed = true;
    close_code = code;
  }
  void on_protocol_error(core::CloseCode, std::string_view) { failed = true; }

 private:
  static std::string str(std::span<const uint8_t> p) { return {reinterpret_cast<const char*>(p.data()), p.size()}; }
  std::string current_;
  core::ProtocolParser<core::Role::Client, ReplyDecoder> parser_{*this, {.max_message = 0}};
};

// Splits the server's output into the HTTP response head and the frames behind it.
inline std::pair<std::string, std::string> split_http(const std::string& out) {
  size_t end = out.find("\r\n\r\n");
  if (end == std::string::npos) return {out, {}};
  return {out.substr(0, end + 4), out.substr(end + 4)};
}

}  // namespace wsalloc::testing
