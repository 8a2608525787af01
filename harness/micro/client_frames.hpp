// client_frames.hpp: the bytes a browser would send, built once before anything is measured:
// payloads, masked client frames, the upgrade request, and the four echo message shapes shared by
// the micro-benchmarks (wsalloc-micro) and the instruction counts (wsalloc-instr).
// Everything here allocates; none of it runs inside a measured region.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/frame.hpp"
#include "micro/memory_peer.hpp"

namespace wsalloc::micro {

// kClientMaskKey, kUpgradeRequest and client_frame() are in memory_peer.hpp.

// Payloads of exactly n bytes.
std::string ascii_text(size_t n);      // printable ASCII
std::string multibyte_text(size_t n);  // 2-, 3- and 4-byte characters in turn (ASCII only to pad the
                                       // last < 4 bytes); valid UTF-8 ending at a character boundary
std::string mixed_text(size_t n);      // chat-like: mostly ASCII with some multi-byte characters
std::string binary_payload(size_t n);  // every byte value, in a fixed pattern
// multibyte_text(n) with its last byte replaced by 0xFF, a byte that never occurs in UTF-8: a
// validator has to scan all of it before it can fail.
std::string invalid_text(size_t n);

// The four echo messages the pipelines are measured with.
enum class EchoShape : uint8_t {
  Binary32,        // one 32 B binary frame
  Text512,         // one 512 B text frame (mixed_text: UTF-8 validation runs)
  Binary64K,       // one 64 KiB binary frame (64-bit length encoding)
  Fragmented4x1K,  // one 4 KiB binary message in 4 frames of 1 KiB (first + 3 continuations)
};
inline constexpr EchoShape kEchoShapes[] = {EchoShape::Binary32, EchoShape::Text512, EchoShape::Binary64K,
                                            EchoShape::Fragmented4x1K};

// "echo_32", "echo_512_text", "echo_64k", "fragmented": the wsalloc-instr workload prefixes.
std::string_view shape_name(EchoShape shape) noexcept;

struct EchoMessage {
  std::string wire;          // all frames of the message, as one read
  size_t payload_bytes = 0;  // the message's payload size
  size_t reply_bytes = 0;    // what the server writes back: one unmasked frame, header + payload
};
EchoMessage build_echo_message(EchoShape shape);

}  // namespace wsalloc::micro
