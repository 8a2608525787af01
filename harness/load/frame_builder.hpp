// Client frame building: one message as N masked frames, written straight into a connection's
// write buffer. The payload is never stored masked: each send masks the template afresh with new
// keys (RFC 6455 5.3 wants a fresh, unpredictable key per frame), so the masking cost a real client
// pays is part of wsload's measured cost.
//
// A message's payload is given as two pieces, `head` (the per-message sequence field) then `tail`
// (the rest of the template), so nothing is copied into a staging buffer before masking.
// Fragment f of N carries payload bytes [f*len/N, (f+1)*len/N): sizes differ by at most one, and
// fragments may be empty when len < N (legal: RFC 6455 5.4 allows empty fragments).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "core/frame.hpp"
#include "load/prng.hpp"

namespace wsalloc::load {

// A single-frame message header built once per size class by core::write_frame_header; each send
// copies it and writes the fresh mask key into its last 4 bytes (a 14-byte copy, no branches).
class PrebuiltHeader {
 public:
  PrebuiltHeader(core::Opcode op, uint64_t payload_len) noexcept
      : len_(static_cast<uint8_t>(core::write_frame_header(bytes_, op, true, payload_len, uint32_t{0}))) {}
  size_t size() const noexcept { return len_; }
  size_t write(uint8_t* out, uint32_t key) const noexcept {
    std::memcpy(out, bytes_, core::kMaxFrameHeader);  // whole array: a fixed-size copy; the caller reserved it
    std::memcpy(out + len_ - 4, &key, 4);
    return len_;
  }

 private:
  uint8_t bytes_[core::kMaxFrameHeader] = {};
  uint8_t len_;
};

// One message in one masked frame with a prebuilt header; head.size() <= 8. out must hold
// max(header.size() + payload, kMaxFrameHeader) bytes.
size_t write_masked_message(uint8_t* out, const PrebuiltHeader& header, std::span<const uint8_t> head,
                            std::span<const uint8_t> tail, Wyrand& rng) noexcept;

// Bytes on the wire for a payload of `len` sent as `fragments` (>= 1) masked frames.
size_t message_wire_bytes(size_t len, unsigned fragments) noexcept;

// Writes the message into out[0, message_wire_bytes(head.size() + tail.size(), fragments)).
// op: Text or Binary (the first frame's opcode; the others are Continuation). Returns bytes written.
size_t write_masked_message(uint8_t* out, core::Opcode op, std::span<const uint8_t> head,
                            std::span<const uint8_t> tail, unsigned fragments, Wyrand& rng) noexcept;

// One masked control frame (Ping, Pong or Close); payload <= 125 bytes. Returns bytes written
// (<= kMaxFrameHeader + 125).
size_t write_masked_control(uint8_t* out, core::Opcode op, std::span<const uint8_t> payload, Wyrand& rng) noexcept;

}  // namespace wsalloc::load
