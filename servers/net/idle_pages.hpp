#pragma once
// IdlePages: a page-aligned heap block whose pages can be handed back to the kernel while it is
// not in use, without freeing it.
//
// Why: the io_uring backend keeps buffers it has needed once (send-slab chunks, loans) so that
// steady state allocates nothing; a burst (peers that stopped reading, a few 1 MiB frames at
// once) would otherwise pin its peak in RSS forever. trim_if_idle() drops the pages of a block
// unused for a while (madvise(MADV_DONTNEED): the next write faults in zeroed pages; no
// allocation, the block stays ours). Owner: one thread. The block comes from aligned_alloc, so the
// allocation counters see it like any other heap block.
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace wsalloc::net {

class IdlePages {
 public:
  using Clock = std::chrono::steady_clock;

  // bytes: a multiple of the page size. Throws std::bad_alloc.
  explicit IdlePages(size_t bytes);
  ~IdlePages();
  IdlePages(IdlePages&& o) noexcept;
  IdlePages& operator=(IdlePages&& o) noexcept;
  IdlePages(const IdlePages&) = delete;
  IdlePages& operator=(const IdlePages&) = delete;

  uint8_t* data() const noexcept { return p_; }
  size_t size() const noexcept { return bytes_; }
  // Marks the block in use (resident again on the next write) and restarts its idle clock.
  void touch() noexcept {
    resident_ = true;
    last_used_ = Clock::now();
  }
  // Drops the pages if the block was not touched for longer than `idle`. The caller guarantees
  // nobody reads the old bytes again.
  void trim_if_idle(Clock::time_point now, Clock::duration idle) noexcept;
  bool resident() const noexcept { return resident_; }

 private:
  uint8_t* p_ = nullptr;
  size_t bytes_ = 0;
  Clock::time_point last_used_ = Clock::now();
  bool resident_ = true;
};

}  // namespace wsalloc::net
