// The HTTP/1.1 upgrade handshake (RFC 6455 section 4.2): incremental request parser, accept key,
// response writer. No I/O, no allocation: the request is a set of views into the caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace wsalloc::core {

enum class HandshakeStatus : uint8_t {
  Incomplete,        // need more bytes (no "\r\n\r\n" yet, under the limit)
  Accepted,          // valid WebSocket upgrade: answer 101
  NotWebSocket,      // a well-formed GET without Upgrade: websocket (the server may serve e.g. /stats, else 426)
  BadRequest,        // 400: malformed request line/headers, missing/malformed Sec-WebSocket-Key
                     //      (must be base64 of exactly 16 bytes), missing Host, HTTP/1.0, body on GET
  MethodNotAllowed,  // 405 (non-GET, well-formed)
  UpgradeRequired,   // 426: Sec-WebSocket-Version missing or != 13 (reply carries Sec-WebSocket-Version: 13);
                     //      Upgrade header present but Connection lacks the "upgrade" token
  HeadersTooLarge,   // 431: no end of headers within max_header_bytes
};

// max_header_bytes: default 8 KiB, counted up to and including the final "\r\n\r\n".
struct HandshakeLimits { size_t max_header_bytes = 8 * 1024; };

struct HandshakeRequest {        // views into the caller's buffer
  std::string_view method, target, host, key, version, upgrade, connection, protocol, extensions, origin;
  size_t header_bytes = 0;       // bytes up to and including the final "\r\n\r\n"; the rest is frame data
  // Every Sec-WebSocket-Extensions field, in order (RFC 6455 9.1 allows several; they read as one
  // list). `extensions` is the first. Fields beyond kMaxExtensionFields are not kept: the offers
  // in them are declined, which a server may always do.
  static constexpr size_t kMaxExtensionFields = 8;
  std::string_view extension_fields[kMaxExtensionFields];
  uint8_t extension_field_count = 0;
  std::span<const std::string_view> extension_list() const noexcept {
    return {extension_fields, extension_field_count};
  }
};

class HandshakeParser {
 public:
  explicit HandshakeParser(HandshakeLimits limits = {}) noexcept;
  // `received` = all bytes received so far on the connection (the caller accumulates them; the parser
  // remembers how far it scanned so a request split over any number of reads costs O(total)).
  // Once a status other than Incomplete is returned, later calls return it again until reset().
  HandshakeStatus feed(std::string_view received) noexcept;
  const HandshakeRequest& request() const noexcept { return req_; }  // valid after Accepted/NotWebSocket, while the buffer lives
  void reset() noexcept;

 private:
  HandshakeStatus parse(std::string_view head) noexcept;

  HandshakeLimits limits_;
  HandshakeRequest req_;
  size_t scanned_ = 0;  // bytes already searched for the terminator
  HandshakeStatus status_ = HandshakeStatus::Incomplete;
};

// SHA-1 + base64 via OpenSSL libcrypto (SHA1 / EVP_EncodeBlock). out must hold 28 chars.
void compute_accept_key(std::string_view client_key, char out[28]) noexcept;

// Writes the full HTTP response for `status` (101 with Upgrade/Connection/Sec-WebSocket-Accept; error
// statuses with a short text body, Content-Length, Connection: close; 426 carries
// Sec-WebSocket-Version: 13). Returns bytes written, or 0 if cap is too small (cap 512 always suffices
// with an `extensions` value of at most kMaxDeflateResponse bytes).
// NotWebSocket is answered as 426; Incomplete writes nothing and returns 0.
// `extensions`: the accepted extensions (the Sec-WebSocket-Extensions value of a 101); empty = none.
size_t write_handshake_response(HandshakeStatus status, const HandshakeRequest& req, char* out, size_t cap,
                                std::string_view extensions = {}) noexcept;

int http_status_code(HandshakeStatus) noexcept;   // 101, 400, 405, 426, 431 (NotWebSocket: 426, Incomplete: 0)

}  // namespace wsalloc::core
