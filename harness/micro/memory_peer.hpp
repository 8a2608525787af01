// memory_peer.hpp: the client side of the in-memory transport (DESIGN.md: the one way harness and
// tests reach a Session without sockets). What a browser sends (the upgrade request, masked
// frames) and a peer that takes every byte the server writes. One home for the micro-benchmarks
// (echo_rig.hpp, client_frames.hpp), the variant tests (tests/variants) and the session fuzzer.
// Header-only (target wsalloc_memory_peer): it needs no valgrind, unlike the rest of harness/micro.
// client_frame() allocates; nothing here runs inside a measured region except CountingWriter.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/frame.hpp"
#include "variants/writer.hpp"

namespace wsalloc::micro {

// Non-zero on purpose: unmasking with key 0 would leave the bytes as they are, and a future
// "skip the XOR when the key is 0" shortcut would silently stop measuring the unmask.
inline constexpr uint32_t kClientMaskKey = 0x5a17c0de;

// RFC 6455's example request (section 1.3); its key's accept value is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
inline constexpr std::string_view kUpgradeRequest =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";

// A masked client frame: header (minimal length encoding, MASK set) + masked payload.
inline std::string client_frame(core::Opcode op, std::string_view payload, bool fin = true,
                                uint32_t key = kClientMaskKey) {
  std::string out(core::kMaxFrameHeader + payload.size(), '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  const size_t h = core::write_frame_header(p, op, fin, payload.size(), key);
  core::mask_copy(p + h, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), key);
  out.resize(h + payload.size());
  return out;
}

// Takes everything and keeps only a count: a peer that reads as fast as the server writes, and a
// writer that adds no allocation and next to no work of its own.
class CountingWriter final : public variants::Writer {
 public:
  ssize_t write(const iovec* iov, int count) noexcept override {
    ssize_t total = 0;
    for (int i = 0; i < count; ++i) total += static_cast<ssize_t>(iov[i].iov_len);
    bytes_ += static_cast<uint64_t>(total);
    return total;
  }
  uint64_t bytes() const noexcept { return bytes_; }

 private:
  uint64_t bytes_ = 0;
};

}  // namespace wsalloc::micro
