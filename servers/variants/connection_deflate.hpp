#pragma once
// connection_deflate.hpp: what a connection that agreed to permessage-deflate holds, and the
// per-loop buffer its messages are inflated into. Used by both pipelines.
//
// A connection keeps what it agreed (DeflateTerms, 8 bytes, in its pipeline) from the handshake;
// ConnectionDeflate (~0.5 KiB) is allocated from its memory at its first compressed message either
// way, and zlib's own state (~39 KiB to inflate, ~262 KiB to deflate at 15 window bits, memLevel 8)
// when each direction first needs it, from the lifetimes core/deflate_stream.hpp describes. So a
// connection that agreed but stays idle costs nothing more than one without the extension (for the
// arena: it does not take its connection area's first block at the handshake).
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <span>

#include "core/deflate_negotiation.hpp"
#include "core/deflate_stream.hpp"
#include "core/frame.hpp"

namespace wsalloc::variants {

// What a connection agreed to, kept from the handshake until its state is made.
struct DeflateTerms {
  core::DeflateParams server;  // our compressor
  core::DeflateParams client;  // the client's, which our decompressor follows
  int8_t level = 6;
  int8_t mem_level = 8;
  bool agreed = false;
};
static_assert(sizeof(DeflateTerms) <= 8, "kept in every pipeline: compression must not grow an idle connection");

struct ConnectionDeflate {
  ConnectionDeflate(const core::DeflateAgreement& agreed, const core::DeflateSettings& settings,
                    core::StreamMemory memory)
      : inflater(agreed.client, memory), deflater(agreed.server, settings, memory) {}
  core::MessageInflater inflater;  // client-to-server messages, the client's parameters
  core::MessageDeflater deflater;  // server-to-client messages, ours
};

// Allocates a ConnectionDeflate on `r`, and gives it back. Throws std::bad_alloc from `r`.
inline ConnectionDeflate* new_connection_deflate(std::pmr::memory_resource* r, const core::DeflateAgreement& agreed,
                                                 const core::DeflateSettings& settings, core::StreamMemory memory) {
  return std::pmr::polymorphic_allocator<>(r).new_object<ConnectionDeflate>(agreed, settings, memory);
}
inline DeflateTerms make_terms(const core::DeflateAgreement& a, const core::DeflateSettings& s) noexcept {
  return {a.server, a.client, static_cast<int8_t>(s.level), static_cast<int8_t>(s.mem_level), true};
}
// Makes the state the terms describe, on `r`; null when `r` has no memory (the caller then sends
// uncompressed, or fails the connection with 1011 when a compressed message arrived).
inline ConnectionDeflate* make_connection_deflate(std::pmr::memory_resource* r, const DeflateTerms& t,
                                                  core::StreamMemory memory) noexcept {
  core::DeflateAgreement a;
  a.server = t.server;
  a.client = t.client;
  try {
    return new_connection_deflate(r, a, {.level = t.level, .mem_level = t.mem_level}, memory);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
inline void delete_connection_deflate(std::pmr::memory_resource* r, ConnectionDeflate* d) noexcept {
  if (d) std::pmr::polymorphic_allocator<>(r).delete_object(d);
}

// Data frames are compressed; control frames never are (RFC 7692 6.1).
constexpr bool compressible(core::Opcode op) noexcept {
  return op == core::Opcode::Text || op == core::Opcode::Binary;
}

// Per poller thread: the window the parser inflates into before each chunk goes to the pipeline.
// Nothing stays in it between reads, so all connections of the thread share it. 64 KiB: an
// inflated message up to that size reaches the handler in one piece (zerocopy: without a copy).
// Allocated at the first compressed connection, never before: without --deflate it costs nothing.
class InflateWindow {
 public:
  static constexpr size_t kBytes = 64 * 1024;
  std::span<uint8_t> get() {
    if (!buf_) buf_ = std::make_unique<uint8_t[]>(kBytes);
    return {buf_.get(), kBytes};
  }

 private:
  std::unique_ptr<uint8_t[]> buf_;
};

// Writes a compressed message's frame header so that it ends exactly at `payload`, RSV1 set; the
// room before `payload` must hold it (header_room >= frame_header_size(len)). Returns its start.
inline uint8_t* write_compressed_header(uint8_t* payload, core::Opcode op, size_t len) noexcept {
  uint8_t* start = payload - core::frame_header_size(len, false);
  core::write_frame_header(start, op, true, len);
  start[0] |= core::kRsv1;
  return start;
}

}  // namespace wsalloc::variants
