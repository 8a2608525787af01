#pragma once
// wire_client.hpp: a test client speaking to a Session through memory: builds masked frames the
// way a browser would, and decodes the server's replies with the core parser in client role.
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/deflate_stream.hpp"
#include "core/frame.hpp"
#include "core/protocol.hpp"
#include "micro/memory_peer.hpp"

namespace wsalloc::testing {

// The request and the frame builder are the in-memory transport's (harness/micro/memory_peer.hpp).
inline const char* kUpgradeRequest = micro::kUpgradeRequest.data();  // NUL-terminated: a literal
using micro::client_frame;

// The upgrade request with a Sec-WebSocket-Extensions offer, e.g. "permessage-deflate".
inline std::string upgrade_request_offering(std::string_view extensions) {
  std::string r = kUpgradeRequest;
  r.insert(r.size() - 2, "Sec-WebSocket-Extensions: " + std::string(extensions) + "\r\n");
  return r;
}

// A client's permessage-deflate compressor: frames whose payload it compresses, RSV1 set on the
// first (RFC 7692 7.2.3.1), the message split into `fragments` frames.
class DeflatingClient {
 public:
  explicit DeflatingClient(core::DeflateParams own = {}) : d_(own, {}, {}) {}
  std::string compress(std::string_view payload) {
    std::string out(core::MessageDeflater::bound(payload.size()), '\0');
    size_t n = 0;
    d_.compress({reinterpret_cast<const uint8_t*>(payload.data()), payload.size()},
                {reinterpret_cast<uint8_t*>(out.data()), out.size()}, n);
    out.resize(n);
    return out;
  }
  std::string message(core::Opcode op, std::string_view payload, size_t fragments = 1) {
    const std::string z = compress(payload);
    std::string out;
    for (size_t f = 0; f < fragments; ++f) {
      const size_t a = f * z.size() / fragments, b = (f + 1) * z.size() / fragments;
      std::string frame = client_frame(f == 0 ? op : core::Opcode::Continuation, std::string_view(z).substr(a, b - a),
                                       f + 1 == fragments);
      if (f == 0) frame[0] = static_cast<char>(frame[0] | core::kRsv1);
      out += frame;
    }
    return out;
  }

 private:
  core::MessageDeflater d_;
};

struct Reply {
  core::Opcode op;
  std::string payload;
};

// Decodes server frames; collects whole messages and control frames in order.
class ReplyDecoder {
 public:
  std::vector<Reply> replies;
  uint16_t close_code = 0;
  std::string close_reason;
  bool closed = false;
  bool failed = false;

  // `wire` starts after the HTTP response (see split_http).
  void feed(std::string wire) {
    parser_.feed({reinterpret_cast<uint8_t*>(wire.data()), wire.size()});
  }
  // The server agreed to permessage-deflate with these parameters for its direction.
  void enable_deflate(core::DeflateParams server) {
    inflater_ = std::make_unique<core::MessageInflater>(server, core::StreamMemory{});
    window_.resize(3000);  // small: long replies come in several chunks
    parser_.set_inflater(inflater_.get(), window_);
  }
  uint64_t compressed_messages() const noexcept { return inflater_ ? inflater_->messages() : 0; }

  void on_data(core::Opcode op, std::span<uint8_t> chunk, bool begin, bool end) {
    if (begin) current_.assign("");
    current_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    if (end) replies.push_back({op, current_});
  }
  void on_ping(std::span<const uint8_t> p) { replies.push_back({core::Opcode::Ping, str(p)}); }
  void on_pong(std::span<const uint8_t> p) { replies.push_back({core::Opcode::Pong, str(p)}); }
  void on_close(uint16_t code, std::string_view reason) {
    closed = true;
    close_code = code;
    close_reason = reason;
  }
  void on_protocol_error(core::CloseCode, std::string_view) { failed = true; }

 private:
  static std::string str(std::span<const uint8_t> p) { return {reinterpret_cast<const char*>(p.data()), p.size()}; }
  std::string current_;
  std::unique_ptr<core::MessageInflater> inflater_;
  std::vector<uint8_t> window_;
  core::ProtocolParser<core::Role::Client, ReplyDecoder> parser_{*this, {.max_message = 0}};
};

// Splits the server's output into the HTTP response head and the frames behind it.
inline std::pair<std::string, std::string> split_http(const std::string& out) {
  size_t end = out.find("\r\n\r\n");
  if (end == std::string::npos) return {out, {}};
  return {out.substr(0, end + 4), out.substr(end + 4)};
}

}  // namespace wsalloc::testing
