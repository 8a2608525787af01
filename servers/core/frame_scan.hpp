#pragma once
// frame_scan.hpp: where frames begin and end in received bytes, from their headers alone.
//
// For a transport that decides where bytes should land before the parser sees them (the
// io_uring connection receives the rest of a large frame straight into one contiguous buffer).
// Nothing is validated here: the ProtocolParser still applies every rule to every byte. Inline:
// one header decode (a few instructions) per frame of a receive.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/frame.hpp"

namespace wsalloc::core {

struct TailFrame {
  size_t offset = 0;             // where the frame starts in the scanned bytes
  bool header_complete = false;  // false: the bytes end inside its header (< 14 bytes of it)
  uint64_t total = 0;            // header + payload bytes (header_complete only); UINT64_MAX for
                                 // a length no frame can have
  FrameHeader header;            // header_complete only
};

// Walks the frame headers of `bytes`, the first at `first_header` (0 at a frame boundary, the
// rest of a frame's payload otherwise). Returns the last frame if it starts in `bytes` and does
// not end there (possibly inside its header); nullopt when the bytes end at a frame boundary or
// before `first_header`.
inline std::optional<TailFrame> incomplete_tail_frame(std::span<const uint8_t> bytes, uint64_t first_header) noexcept {
  uint64_t at = first_header;
  while (at < bytes.size()) {
    TailFrame t;
    t.offset = static_cast<size_t>(at);
    if (parse_frame_header(bytes.subspan(t.offset), t.header) == HeaderParse::NeedMore) return t;
    t.header_complete = true;
    const uint64_t left = bytes.size() - at;
    const uint64_t len = t.header.payload_len;
    t.total = len > UINT64_MAX - kMaxFrameHeader ? UINT64_MAX : t.header.header_len + len;
    if (t.total > left) return t;
    at += t.total;
  }
  return std::nullopt;
}

}  // namespace wsalloc::core
