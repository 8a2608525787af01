#pragma once
// SendSlab: where the io_uring backend copies bytes a send in flight needs and nobody else keeps
// alive (a reply framed in the per-loop cork, a send-queue node freed after the flush, a backlog
// about to be consumed). epoll's writev copies them into the kernel at once; a submitted send
// reads them later, so they must live until its completion.
//
// Owner: one poller thread. Memory: chunks of kChunkBytes, bump-allocated; each chunk counts the
// sends that reference it and is reused when that count drops to 0 (the current chunk rewinds in
// place; others go to a free list). Chunks are allocated when every chunk is referenced and never
// freed before the slab: steady state allocates nothing once the peak number of sends in flight
// has been seen. 4 chunks (256 KiB) are made up front. A chunk unused for a while (sends that
// waited on peers that never read can leave many) gives its pages back to the kernel
// (trim_idle: madvise, no free), so the slab's resident size follows recent use, not its peak.
// Invalidation: nothing moves; bytes stay put until their chunk's last reference is dropped.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/idle_pages.hpp"

namespace wsalloc::net {

class SendSlab {
 public:
  static constexpr size_t kChunkBytes = 64 * 1024;

  SendSlab();

  struct Piece {
    uint8_t* data;
    size_t len;      // <= the bytes asked for; > 0
    uint32_t chunk;  // reference it with ref() before the next append()
  };
  // Room for up to n bytes at the tail of the current chunk (a fresh chunk when it is full).
  // The caller fills them, and holds the chunk with ref() while a send uses them.
  Piece append(size_t n);
  void ref(uint32_t chunk) noexcept { ++chunks_[chunk].refs; }
  // Where the next append() lands if it fits the current chunk (room() > 0).
  uint32_t current() const noexcept { return current_; }
  size_t room() const noexcept { return kChunkBytes - used_; }
  const uint8_t* tail() const noexcept { return chunks_[current_].bytes.data() + used_; }
  void unref(uint32_t chunk) noexcept;

  size_t chunks() const noexcept { return chunks_.size(); }
  uint64_t grown() const noexcept { return grown_; }  // chunks allocated after construction
  // Unreferenced chunks, other than the current one, idle for longer than `idle` lose their pages.
  void trim_idle(IdlePages::Clock::time_point now, IdlePages::Clock::duration idle) noexcept;
  size_t resident_chunks() const noexcept;

 private:
  struct Chunk {
    IdlePages bytes;
    uint32_t refs = 0;
  };
  uint32_t fresh_chunk();

  std::vector<Chunk> chunks_;
  std::vector<uint32_t> free_;  // unreferenced chunks other than the current one
  uint32_t current_ = 0;
  size_t used_ = 0;  // bytes handed out from the current chunk
  uint64_t grown_ = 0;
};

}  // namespace wsalloc::net
