// permessage-deflate's compressor and decompressor (RFC 7692 section 7.2) on the caller's memory.
//
// zlib does the work; where its state lives is the caller's choice, through zlib's zalloc/zfree
// hooks bound to a std::pmr::memory_resource. Two lifetimes are offered (StreamMemory):
//   connection  a stream that keeps its LZ77 context across messages (context takeover), or a
//               decompressor whose message spans several reads: allocated once, reset per message
//   message     a stream used for one message only (no context takeover) whose whole life is one
//               call: initialised, used and freed before that call returns, so an arena's message
//               area can hold it and take it back with one reset
// Both streams are created at their first message, not at negotiation: an idle connection that
// has agreed to compress holds no zlib state at all.
//
// Sizes (zlib 1.2.13, 64-bit): a compressor holds ~5.9 KiB of state + 2 x 2^wbits (window) +
// 2 x 2^wbits (prev chain) + 2 x 2^(memLevel+7) (hash heads) + 4 x 2^(memLevel+6) (block buffer):
// 262 KiB at wbits 15, memLevel 8. A decompressor holds ~7 KiB of state + 2^wbits (window,
// allocated at its first output): 39 KiB at wbits 15.
//
// No I/O, no exceptions. Not thread-safe: one connection, one thread.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <span>

#include "core/deflate_negotiation.hpp"

namespace wsalloc::core {

struct StreamMemory {
  std::pmr::memory_resource* connection = std::pmr::new_delete_resource();
  std::pmr::memory_resource* message = std::pmr::new_delete_resource();
};

// zlib's allocations on a memory_resource. zfree gives no size and std::pmr needs one, so each
// stream remembers its live allocations; zlib makes at most 5 per stream (deflate: state, window,
// prev, head, pending buffer; inflate: state, window). Allocation failure (bad_alloc from the
// resource) becomes Z_MEM_ERROR inside zlib, never an exception through C frames.
class ZlibMemory {
 public:
  static constexpr size_t kMaxLive = 6;
  // Points `s`'s hooks at this object. REQUIRES: no allocation of `s` is live.
  void bind(z_stream& s, std::pmr::memory_resource* r) noexcept;
  std::pmr::memory_resource* resource() const noexcept { return r_; }
  size_t live_bytes() const noexcept;
  size_t live_count() const noexcept { return count_; }

 private:
  static void* zalloc(void* opaque, unsigned items, unsigned size) noexcept;
  static void zfree(void* opaque, void* p) noexcept;

  struct Live {
    void* p;
    size_t n;
  };
  std::pmr::memory_resource* r_ = nullptr;
  Live live_[kMaxLive] = {};
  uint8_t count_ = 0;
};

// Where a stream is in its life.
enum class StreamLife : uint8_t {
  None,        // not initialised: holds no memory
  Message,     // on the message resource; ended when the message is
  Connection,  // on the connection resource; reset per message (or kept, with context takeover)
};

enum class InflateStatus : uint8_t {
  Ok,        // progress; call again while output room ran out
  StreamEnd, // a block with BFINAL=1 ended the DEFLATE stream (RFC 7692 7.2.3.4)
  BadData,   // not valid DEFLATE data, or a distance beyond the agreed window: close 1007
  NoMemory,  // the resource refused zlib's state: close 1011
};

// The decompressor of one connection.
class MessageInflater {
 public:
  // `peer`: what the peer's compressor may do (its window, whether it keeps context).
  MessageInflater(DeflateParams peer, StreamMemory memory) noexcept : peer_(peer), memory_(memory) {}
  ~MessageInflater();
  MessageInflater(const MessageInflater&) = delete;
  MessageInflater& operator=(const MessageInflater&) = delete;

  // Starts a message. `whole`: its entire compressed payload is at hand, so the stream is used up
  // within this call (message lifetime, without context takeover). NoMemory on failure.
  InflateStatus begin(bool whole) noexcept;
  // Inflates from `in` (advanced past what was consumed) into `out`; `produced` bytes written.
  // Returns with `out` full, with `in` used up, or at the end of the DEFLATE stream (StreamEnd,
  // also on every call after it: bytes left in `in` then are payload after BFINAL, the caller's error).
  // `appended_tail`: `in` is the 00 00 ff ff the receiver appends, not counted in bytes_in().
  InflateStatus step(std::span<const uint8_t>& in, std::span<uint8_t> out, size_t& produced,
                     bool appended_tail = false) noexcept;
  // Ends the message: keeps the context (takeover), resets the connection's stream, or frees a
  // message-lifetime stream. Also the way to abandon a message that failed. Idempotent.
  void end() noexcept;

  bool in_message() const noexcept { return in_message_; }
  // The message's DEFLATE stream ended with a BFINAL block: further payload bytes are an error.
  bool stream_ended() const noexcept { return ended_; }
  StreamLife life() const noexcept { return life_; }
  size_t live_bytes() const noexcept { return mem_.live_bytes(); }
  const DeflateParams& peer() const noexcept { return peer_; }
  // Cumulative since construction: compressed payload bytes consumed (the appended tails not
  // counted), bytes produced, messages begun.
  uint64_t bytes_in() const noexcept { return bytes_in_; }
  uint64_t bytes_out() const noexcept { return bytes_out_; }
  uint64_t messages() const noexcept { return messages_; }

 private:
  bool init(StreamLife life) noexcept;
  void release() noexcept;

  DeflateParams peer_;
  StreamMemory memory_;
  z_stream s_{};
  ZlibMemory mem_;
  StreamLife life_ = StreamLife::None;
  bool in_message_ = false;
  bool ended_ = false;  // the message's DEFLATE stream ended (BFINAL): reset before the next
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
  uint64_t messages_ = 0;
};

// Where a parser gets its decompressor the first time a compressed message arrives, so that a
// connection which agreed to permessage-deflate but never compresses allocates nothing for it.
// get() returns null when it cannot make one (no memory); the parser then fails the connection
// with 1011. Called once per connection at most while it returns non-null (the parser keeps it).
class InflaterSource {
 public:
  virtual MessageInflater* get_inflater() noexcept = 0;

 protected:
  ~InflaterSource() = default;
};

enum class DeflateStatus : uint8_t {
  Ok,
  NoMemory,       // the resource refused zlib's state: close 1011
  OutputTooSmall, // `out` was smaller than bound(): a caller bug; the stream was discarded
};

struct DeflateSettings {
  int level = 6;      // zlib level 0..9
  int mem_level = 8;  // zlib memLevel 1..9
};

// The compressor of one connection. Every message is compressed whole, in one call, with
// Z_SYNC_FLUSH, and the trailing 00 00 ff ff removed (RFC 7692 7.2.1).
class MessageDeflater {
 public:
  // `own`: what our compressor may do (the agreed window and context takeover).
  MessageDeflater(DeflateParams own, DeflateSettings settings, StreamMemory memory) noexcept
      : own_(own), settings_(settings), memory_(memory) {}
  ~MessageDeflater();
  MessageDeflater(const MessageDeflater&) = delete;
  MessageDeflater& operator=(const MessageDeflater&) = delete;

  // Room that compress() needs for `n` input bytes, whatever the input: zlib's conservative bound
  // (n + n/8 + n/64 + 5: every block stored or static-coded, at any window and memLevel) plus the
  // sync flush's empty stored block and its alignment. Checked against worst-case inputs by the
  // tests (deflate_stream_test.cpp).
  static size_t bound(size_t n) noexcept { return n + (n >> 3) + (n >> 6) + 32; }

  // Compresses one message into `out` (REQUIRES out.size() >= bound(in.size())); `produced` =
  // the compressed payload's length, tail removed. An empty message becomes the single byte 0x00.
  DeflateStatus compress(std::span<const uint8_t> in, std::span<uint8_t> out, size_t& produced) noexcept;

  StreamLife life() const noexcept { return life_; }
  size_t live_bytes() const noexcept { return mem_.live_bytes(); }
  const DeflateParams& own() const noexcept { return own_; }
  uint64_t bytes_in() const noexcept { return bytes_in_; }    // cumulative: message bytes
  uint64_t bytes_out() const noexcept { return bytes_out_; }  // cumulative: compressed payload bytes
  uint64_t messages() const noexcept { return messages_; }

  // zlib cannot compress with a 256-byte window (deflateInit2 refuses raw windowBits 8); a 512-byte
  // window never emits a distance over 250 (MAX_DIST = w_size - MIN_LOOKAHEAD = 512 - 262), so its
  // output is valid for a peer that agreed to 8 bits.
  static int zlib_window_bits(uint8_t agreed) noexcept { return agreed < 9 ? 9 : agreed; }

 private:
  bool init(StreamLife life) noexcept;
  void release() noexcept;

  DeflateParams own_;
  DeflateSettings settings_;
  StreamMemory memory_;
  z_stream s_{};
  ZlibMemory mem_;
  StreamLife life_ = StreamLife::None;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
  uint64_t messages_ = 0;
};

// The four bytes a sender removes from each compressed message and the receiver appends again.
inline constexpr uint8_t kDeflateTail[4] = {0x00, 0x00, 0xFF, 0xFF};

}  // namespace wsalloc::core
