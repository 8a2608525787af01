#include "core/frame.hpp"

namespace wsalloc::core {

size_t frame_header_size(uint64_t payload_len, bool masked) noexcept {
  const size_t ext = payload_len < 126 ? 0 : payload_len <= 0xFFFF ? 2 : 8;
  return 2 + ext + (masked ? 4 : 0);
}

size_t write_frame_header(uint8_t* out, Opcode op, bool fin, uint64_t payload_len,
                          std::optional<uint32_t> mask_key) noexcept {
  out[0] = static_cast<uint8_t>((fin ? 0x80 : 0x00) | static_cast<uint8_t>(op));
  const uint8_t mask_bit = mask_key ? 0x80 : 0x00;
  size_t n = 2;
  if (payload_len < 126) {
    out[1] = static_cast<uint8_t>(mask_bit | payload_len);
  } else if (payload_len <= 0xFFFF) {
    out[1] = mask_bit | 126;
    out[2] = static_cast<uint8_t>(payload_len >> 8);
    out[3] = static_cast<uint8_t>(payload_len);
    n = 4;
  } else {
    out[1] = mask_bit | 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(payload_len >> (56 - 8 * i));
    n = 10;
  }
  if (mask_key) {
    std::memcpy(out + n, &*mask_key, 4);
    n += 4;
  }
  return n;
}

namespace {

// The key rotated so that its memory byte i is key[(i + off) % 4], widened to 8 bytes. Built through
// memory so it is right on either endianness.
inline uint64_t wide_key(uint32_t key_wire, size_t key_offset) noexcept {
  uint8_t k[4];
  std::memcpy(k, &key_wire, 4);
  uint8_t r[8];
  for (size_t i = 0; i < 8; ++i) r[i] = k[(i + key_offset) & 3];
  uint64_t w;
  std::memcpy(&w, r, 8);
  return w;
}

// memcpy loads and stores compile to plain unaligned moves on x86-64 and aarch64, so no alignment
// prologue is needed; the 8-byte loop stays within [0, n), which keeps the poller's tailroom unused.
inline void xor_words(uint8_t* dst, const uint8_t* src, size_t n, uint64_t key8) noexcept {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint64_t a, b, c, d;
    std::memcpy(&a, src + i, 8);
    std::memcpy(&b, src + i + 8, 8);
    std::memcpy(&c, src + i + 16, 8);
    std::memcpy(&d, src + i + 24, 8);
    a ^= key8; b ^= key8; c ^= key8; d ^= key8;
    std::memcpy(dst + i, &a, 8);
    std::memcpy(dst + i + 8, &b, 8);
    std::memcpy(dst + i + 16, &c, 8);
    std::memcpy(dst + i + 24, &d, 8);
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t a;
    std::memcpy(&a, src + i, 8);
    a ^= key8;
    std::memcpy(dst + i, &a, 8);
  }
  // Tail: byte i of the 8-byte key still lines up, since the words started at offset 0.
  uint8_t kb[8];
  std::memcpy(kb, &key8, 8);
  for (; i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] ^ kb[i & 7]);
}

}  // namespace

void apply_mask(uint8_t* data, size_t n, uint32_t key_wire, size_t key_offset) noexcept {
  xor_words(data, data, n, wide_key(key_wire, key_offset));
}

void mask_copy(uint8_t* dst, const uint8_t* src, size_t n, uint32_t key_wire, size_t key_offset) noexcept {
  xor_words(dst, src, n, wide_key(key_wire, key_offset));
}

}  // namespace wsalloc::core
