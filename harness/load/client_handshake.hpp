// The client side of the RFC 6455 opening handshake (section 4.1): the request, and the checks a
// client must make on the response before it may send a frame.
//
// Nothing here allocates: the request is written into the caller's buffer, the response is
// checked in the caller's buffer (views only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "load/prng.hpp"

namespace wsalloc::load {

inline constexpr size_t kClientKeyChars = 24;   // base64 of 16 bytes
inline constexpr size_t kMaxResponseHead = 4096;

// A fresh Sec-WebSocket-Key: base64 of 16 random bytes.
void make_client_key(Wyrand& rng, char out[kClientKeyChars]) noexcept;

// Writes "GET path HTTP/1.1" with Host, Upgrade, Connection, Sec-WebSocket-Key and
// Sec-WebSocket-Version: 13, plus Sec-WebSocket-Extensions: `extensions` when not empty.
// Returns bytes written, or 0 when cap is too small.
size_t write_client_request(char* out, size_t cap, std::string_view host, uint16_t port, std::string_view path,
                            std::string_view key, std::string_view extensions = {}) noexcept;

enum class ResponseCheck : uint8_t {
  Incomplete,        // no "\r\n\r\n" yet
  Accepted,          // 101 with every required header right: frames may follow after head_bytes
  NotSwitching,      // a well-formed status other than 101 (e.g. 400, 404, 426)
  Malformed,         // not an HTTP/1.1 status line, or a header line without ':'
  NoUpgrade,         // Upgrade header missing or not "websocket"
  NoConnection,      // Connection header missing or without the "upgrade" token
  BadAccept,         // Sec-WebSocket-Accept missing or not SHA-1(key + GUID)
  UnrequestedExtra,  // Sec-WebSocket-Extensions / -Protocol present though none was requested
                     // (with extensions requested: more Sec-WebSocket-Extensions fields than kept)
  TooLarge,          // no end of head within kMaxResponseHead bytes
};
const char* to_string(ResponseCheck c) noexcept;

struct ResponseInfo {
  int status = 0;         // HTTP status code, when the status line parsed
  size_t head_bytes = 0;  // bytes up to and including "\r\n\r\n"; the rest is frame data
  // Sec-WebSocket-Extensions values (views into `received`), when extensions were requested.
  static constexpr size_t kMaxExtensionFields = 4;
  std::string_view extensions[kMaxExtensionFields];
  size_t extension_count = 0;
};

// `received`: all bytes received so far on the connection. `extensions_requested`: the request
// offered extensions, so Sec-WebSocket-Extensions in the response is collected into `info` for the
// caller to judge instead of being an error.
ResponseCheck check_server_response(std::string_view received, std::string_view key, ResponseInfo& info,
                                    bool extensions_requested = false) noexcept;

}  // namespace wsalloc::load
