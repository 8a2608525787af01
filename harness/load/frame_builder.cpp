#include "load/frame_builder.hpp"

#include <algorithm>
#include <cstring>

namespace wsalloc::load {

size_t message_wire_bytes(size_t len, unsigned fragments) noexcept {
  size_t total = len;
  for (unsigned f = 0; f < fragments; ++f) {
    const size_t a = len * f / fragments, b = len * (f + 1) / fragments;
    total += core::frame_header_size(b - a, true);
  }
  return total;
}

namespace {

// dst[0, n) = src ^ key for n <= 8, the key starting at byte 0: the sequence field, inline.
inline void mask_small(uint8_t* dst, const uint8_t* src, size_t n, uint32_t key) noexcept {
  uint8_t k[8];
  std::memcpy(k, &key, 4);
  std::memcpy(k + 4, &key, 4);
  for (size_t i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] ^ k[i]);
}

}  // namespace

size_t write_masked_message(uint8_t* out, const PrebuiltHeader& header, std::span<const uint8_t> head,
                            std::span<const uint8_t> tail, Wyrand& rng) noexcept {
  const uint32_t key = rng.next32();
  uint8_t* p = out + header.write(out, key);
  mask_small(p, head.data(), head.size(), key);
  core::mask_copy(p + head.size(), tail.data(), tail.size(), key, head.size());
  return static_cast<size_t>(p + head.size() + tail.size() - out);
}

size_t write_masked_message(uint8_t* out, core::Opcode op, std::span<const uint8_t> head,
                            std::span<const uint8_t> tail, unsigned fragments, Wyrand& rng) noexcept {
  const size_t len = head.size() + tail.size();
  uint8_t* p = out;
  uint64_t keys = 0;
  for (unsigned f = 0; f < fragments; ++f) {
    // One 64-bit draw gives two frame keys.
    if ((f & 1) == 0) keys = rng.next();
    const uint32_t key = static_cast<uint32_t>(keys >> ((f & 1) * 32));
    const size_t a = len * f / fragments, b = len * (f + 1) / fragments;
    const core::Opcode fop = f == 0 ? op : core::Opcode::Continuation;
    p += core::write_frame_header(p, fop, f + 1 == fragments, b - a, key);
    // Payload [a, b) of the virtual concatenation head ++ tail; the key restarts at each frame.
    size_t done = 0;
    if (a < head.size()) {
      const size_t n = std::min(b, head.size()) - a;
      core::mask_copy(p, head.data() + a, n, key, 0);
      done = n;
    }
    if (b > head.size()) {
      const size_t from = std::max(a, head.size()) - head.size();
      const size_t n = b - std::max(a, head.size());
      core::mask_copy(p + done, tail.data() + from, n, key, done);
      done += n;
    }
    p += done;
  }
  return static_cast<size_t>(p - out);
}

size_t write_masked_control(uint8_t* out, core::Opcode op, std::span<const uint8_t> payload, Wyrand& rng) noexcept {
  const size_t n = std::min(payload.size(), core::kMaxControlPayload);
  const uint32_t key = rng.next32();
  size_t h = core::write_frame_header(out, op, true, n, key);
  core::mask_copy(out + h, payload.data(), n, key, 0);
  return h + n;
}

}  // namespace wsalloc::load
