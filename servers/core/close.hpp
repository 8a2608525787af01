// Close codes (RFC 6455 section 7.4) and the close-frame payload writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wsalloc::core {

enum class CloseCode : uint16_t {
  Normal = 1000,
  GoingAway = 1001,
  ProtocolError = 1002,
  UnsupportedData = 1003,
  NoStatus = 1005,        // never on the wire: reported when a close frame has no payload
  Abnormal = 1006,        // never on the wire: the TCP connection dropped without a close frame
  InvalidPayload = 1007,
  PolicyViolation = 1008,
  MessageTooBig = 1009,
  MandatoryExtension = 1010,
  InternalError = 1011,
};

// A code a peer may put on the wire: 1000-1003, 1007-1014 (1012-1014 are IANA-registered later),
// 3000-4999 (libraries / applications). 1004-1006 and 1015 are reserved and must never be sent;
// <1000, 1016-2999 and >=5000 are unassigned. A close frame carrying an invalid code fails the
// connection with 1002.
constexpr bool close_code_valid_on_wire(uint16_t code) noexcept {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000 && code <= 4999;
}

// The largest reason that fits a control frame: 125 payload bytes minus the 2-byte code.
inline constexpr size_t kMaxCloseReason = 123;

// Builds a close payload (2-byte big-endian code + reason) into out; returns bytes written (<=125).
// REQUIRES: out holds 125 bytes. A reason over 123 bytes is cut at the last UTF-8 character boundary
// that fits, so the result stays valid UTF-8 when the reason was.
size_t write_close_payload(uint8_t* out, uint16_t code, std::string_view reason) noexcept;

}  // namespace wsalloc::core
