// Frame codec (RFC 6455 section 5.2): header writer, header parser, masking. No I/O, no allocation.
//
// Wire layout:  byte0 = FIN | RSV1..3 | opcode;  byte1 = MASK | len7;  then 0, 2 or 8 bytes of
// extended length (network order), then the 4-byte mask key when MASK is set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace wsalloc::core {

enum class Opcode : uint8_t { Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

inline constexpr size_t kMaxFrameHeader = 14;      // 2 + 8 (64-bit length) + 4 (mask)
inline constexpr size_t kMaxControlPayload = 125;  // RFC 6455 5.5: control frames fit the 7-bit length
inline constexpr uint8_t kRsv1 = 0x40;             // byte 0; permessage-deflate: "this message is compressed"

constexpr bool opcode_is_control(uint8_t op) noexcept { return (op & 0x8) != 0; }
// 0x3-0x7 and 0xB-0xF are reserved for extensions we never negotiate.
constexpr bool opcode_is_known(uint8_t op) noexcept { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

// Writes a frame header into out[0..14); mask present => MASK bit set and key written (client frames).
// Returns the header length. Uses 7/16/64-bit length encodings minimally.
// `mask_key` uses the key_wire convention (see apply_mask).
size_t write_frame_header(uint8_t* out, Opcode op, bool fin, uint64_t payload_len,
                          std::optional<uint32_t> mask_key = std::nullopt) noexcept;
size_t frame_header_size(uint64_t payload_len, bool masked) noexcept;

// A parsed header, as found on the wire: nothing is validated here except the byte count
// (opcode and RSV are kept raw so the protocol layer can name the rule a peer broke).
struct FrameHeader {
  uint64_t payload_len = 0;  // may have the top bit set on a hostile 64-bit length; caller checks
  uint32_t mask_key = 0;     // key_wire convention; 0 when !masked
  uint8_t header_len = 0;    // 2..14
  uint8_t opcode = 0;        // raw 4-bit opcode
  uint8_t rsv = 0;           // RSV1..3 as bits 0x40/0x20/0x10 of byte 0
  bool fin = false;
  bool masked = false;
};

enum class HeaderParse : uint8_t { Complete, NeedMore };

// What a header's first two bytes tell, for judging a header cut short: FIN, RSV, opcode, MASK,
// and in payload_len the 7-bit length field, which is the length itself only below 126 (126 and
// 127 announce a 16- or 64-bit length still to come). header_len and mask_key stay 0.
inline FrameHeader read_frame_prefix(uint8_t b0, uint8_t b1) noexcept {
  FrameHeader h;
  h.payload_len = b1 & 0x7F;
  h.opcode = b0 & 0x0F;
  h.rsv = b0 & 0x70;
  h.fin = (b0 & 0x80) != 0;
  h.masked = (b1 & 0x80) != 0;
  return h;
}

// Parses the header at the start of `in`. NeedMore when `in` holds fewer bytes than the header
// needs (the needed count is known after 2 bytes); `out` is then unspecified.
// It decodes the first two bytes itself rather than through read_frame_prefix: this is the hot
// path, and the gate's instruction count (core/frame_parse) sees the difference.
inline HeaderParse parse_frame_header(std::span<const uint8_t> in, FrameHeader& out) noexcept {
  if (in.size() < 2) return HeaderParse::NeedMore;
  const uint8_t b0 = in[0], b1 = in[1];
  const uint8_t len7 = b1 & 0x7F;
  const bool masked = (b1 & 0x80) != 0;
  const size_t ext = len7 < 126 ? 0 : len7 == 126 ? 2 : 8;
  const size_t need = 2 + ext + (masked ? 4 : 0);
  if (in.size() < need) return HeaderParse::NeedMore;
  const uint8_t* p = in.data() + 2;
  uint64_t len = len7;
  if (ext == 2) {
    len = (uint64_t{p[0]} << 8) | p[1];
  } else if (ext == 8) {
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | p[i];
  }
  p += ext;
  uint32_t key = 0;
  if (masked) std::memcpy(&key, p, 4);
  out.payload_len = len;
  out.mask_key = key;
  out.header_len = static_cast<uint8_t>(need);
  out.opcode = b0 & 0x0F;
  out.rsv = b0 & 0x70;
  out.fin = (b0 & 0x80) != 0;
  out.masked = masked;
  return HeaderParse::Complete;
}

// XORs data[0..n) with the 4-byte key (as it appears on the wire, key bytes k0 k1 k2 k3 in memory
// order), starting at key byte `key_offset % 4`. Word-at-a-time (8 bytes), correct for any alignment;
// never touches bytes outside data[0..n).
// key_wire convention: the four mask bytes loaded with memcpy into a uint32_t, so the byte order in
// memory is the wire order on any host.
void apply_mask(uint8_t* data, size_t n, uint32_t key_wire, size_t key_offset = 0) noexcept;
// Copy-and-mask, for clients that build frames: dst[i] = src[i] ^ key[(i+off)%4].
// dst and src may be the same pointer; otherwise they must not overlap.
void mask_copy(uint8_t* dst, const uint8_t* src, size_t n, uint32_t key_wire, size_t key_offset = 0) noexcept;

}  // namespace wsalloc::core
