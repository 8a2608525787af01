// area.hpp — Area: a bump allocator over blocks, emptied as a whole by reset().
//
// Lifetime: every byte handed out lives until the next reset() or the Area's destruction; nothing
// is freed singly. deallocate() returns nothing; debug and ASan builds check that the pointer is
// a handout of the current cycle (and abort naming it if not), then debug builds 0xDD-fill and
// ASan builds poison its bytes. The lifetime a given Area stands for is named in its type, see
// area_lifetimes.hpp (LoopArea, MessageArea, ConnectionArea, TempArea).
// REQUIRES: containers on an Area end before its reset() (a deallocate() of a pointer from an
// earlier cycle is a use of an invalidated pointer; release builds ignore it, checked builds abort).
//
// Ownership: the Area owns its blocks (each block_bytes, from `upstream`) and every overflow
// allocation. Blocks are retained across reset(): after a warm-up that has seen the largest cycle,
// allocate/reset cycles make 0 upstream calls. reset(Retain::FirstBlock) gives blocks 1.. back
// (for after a one-off spike); the destructor gives everything back.
//
// Invalidation: reset() and the destructor invalidate every pointer handed out. allocate() and
// deallocate() invalidate nothing.
//
// At 0: a zero-byte request returns a non-null pointer to a byte of its own (distinct from every
// other handout of the cycle). A new Area owns no block: the first request allocates block 0
// (reserve_blocks() does it up front), so an idle Area costs sizeof(Area) only.
// At the limit: a request that cannot fit an empty block (bytes + worst-case alignment padding >
// block_bytes), or that arrives when the current block is full and max_blocks blocks are in use,
// is served by `upstream` (counted in overflow_fallbacks/overflow_bytes, freed by the next
// reset()). Nothing is ever corrupted, nothing aborts; upstream's own failure (std::bad_alloc)
// propagates with the Area unchanged.
//
// Alignment: any power of two. Block data is kBlockAlign (64) aligned; larger alignments are met
// by padding inside the block.
//
// Threads: none shared. One Area per poller thread and lifetime; no locks, no atomics.
//
// Cost: the fast path (bump) is an align-up, one bounds check and a counter increment, inline;
// moving to the next block (refill) is out of line. Through std::pmr containers add one virtual
// call (do_allocate, which is `final`, so calls on a static Area& devirtualise).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <string>
#include <string_view>

#if WSALLOC_HEAPTRACK_ANNOTATE
#include <vector>
#endif

#include "memory/tool_hooks.hpp"

namespace wsalloc::memory {

// A snapshot (Area::stats()). Counters are cumulative since construction unless said otherwise.
struct AreaStats {
  // Since the last reset: bytes bumped (handouts + alignment padding) + live overflow bytes. The
  // unused tail of a block left behind by a refill is not counted.
  std::size_t bytes_in_use = 0;
  std::size_t high_water = 0;             // max bytes_in_use over all cycles, the current one included
  std::uint64_t resets = 0;
  std::size_t blocks = 0;                 // blocks owned now (in use + retained), block_bytes each
  std::uint64_t overflow_fallbacks = 0;   // requests served by upstream (see "At the limit")
  std::uint64_t overflow_bytes = 0;       // bytes requested by those
  std::uint64_t allocations = 0;          // handouts, block and overflow
  std::uint64_t block_allocations = 0;    // upstream calls for blocks; flat once warmed up
};

// What reset() keeps. Default AllBlocks: steady state is allocation-free after warm-up.
enum class Retain : std::uint8_t {
  AllBlocks,   // keep every block for the next cycle
  FirstBlock,  // return blocks 1.. to upstream (blocks() becomes 1)
};

class Area : public std::pmr::memory_resource {
 public:
  // Block data alignment; a cache line, so two areas never share one.
  static constexpr std::size_t kBlockAlign = 64;

  // block_bytes: usable bytes per block, rounded up to a multiple of kBlockAlign (>= 1).
  // max_blocks: blocks the Area may own (>= 1); beyond, requests overflow to upstream.
  // Throws std::invalid_argument naming the argument, its value and the limit. Allocates nothing.
  Area(std::string_view name, std::size_t block_bytes, std::size_t max_blocks,
       std::pmr::memory_resource* upstream = std::pmr::new_delete_resource());
  ~Area() override;
  Area(const Area&) = delete;
  Area& operator=(const Area&) = delete;

  // The inline fast path; what allocate() ends in. REQUIRES: align is a power of two.
  // Throws std::bad_alloc only if upstream does (a new block or an overflow).
  [[nodiscard]] void* bump(std::size_t bytes, std::size_t align = alignof(std::max_align_t));

  // Rewinds to the start of block 0. Frees overflow allocations; keeps blocks per `retain`.
  void reset(Retain retain = Retain::AllBlocks) noexcept;

  // Owns at least min(n, max_blocks) blocks from now on (warm-up without traffic).
  // Strong guarantee: on std::bad_alloc the blocks obtained so far are kept, nothing else changes.
  void reserve_blocks(std::size_t n);

  std::string_view name() const noexcept { return name_; }
  std::size_t block_bytes() const noexcept { return block_bytes_; }
  std::size_t max_blocks() const noexcept { return max_blocks_; }
  std::size_t blocks() const noexcept { return blocks_; }
  std::size_t bytes_in_use() const noexcept;
  std::size_t high_water() const noexcept;
  AreaStats stats() const noexcept;
  std::pmr::memory_resource* upstream() const noexcept { return upstream_; }

 protected:
  void* do_allocate(std::size_t bytes, std::size_t align) final { return bump(bytes, align); }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) final {
    (void)align;
    if constexpr (hooks::kDebugChecks || hooks::kAsan) retire(p, bytes);
  }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept final {
    return this == &other;
  }

 private:
  struct Block;
  struct Overflow;

  [[gnu::noinline]] void* refill(std::size_t bytes, std::size_t align);
  void* overflow(std::size_t bytes, std::size_t align);
  Block* new_block();
  void free_blocks_after(Block* keep) noexcept;
  void free_overflow() noexcept;
  void retire(void* p, std::size_t bytes) noexcept;
  bool holds(const void* p, std::size_t bytes) const noexcept;
  void note_handout(void* p, std::size_t bytes);
  void forget_handouts() noexcept;

  // Hot: touched by every bump().
  std::uintptr_t cur_ = 0;  // next free byte of the current block; 0 while no block is in use
  std::uintptr_t end_ = 0;  // one past the current block's data
  std::uint64_t allocations_ = 0;

  // Cold: refill, reset, stats. Invariant: blocks_ == length of the first_ chain <= max_blocks_;
  // current_ is on that chain (or null with cur_ == end_ == 0).
  Block* first_ = nullptr;
  Block* current_ = nullptr;
  Overflow* overflow_ = nullptr;        // live upstream fallbacks, newest first
  std::size_t used_before_current_ = 0; // bytes bumped in blocks first_..current_ (exclusive)
  std::size_t overflow_live_bytes_ = 0;
  std::size_t high_water_ = 0;          // as of the last reset; high_water() adds the current cycle
  std::size_t blocks_ = 0;
  std::uint64_t resets_ = 0;
  std::uint64_t overflow_fallbacks_ = 0;
  std::uint64_t overflow_bytes_ = 0;
  std::uint64_t block_allocations_ = 0;
  std::size_t block_bytes_;
  std::size_t max_blocks_;
  std::pmr::memory_resource* upstream_;
  std::string name_;
#if WSALLOC_HEAPTRACK_ANNOTATE
  std::vector<void*> handouts_;  // reported to heaptrack; each reported freed at reset()
#endif
};

inline void* Area::bump(std::size_t bytes, std::size_t align) {
  bytes += (bytes == 0);  // a zero-byte request gets a byte of its own: non-null and distinct
  const std::uintptr_t p = (cur_ + align - 1) & ~(std::uintptr_t{align} - 1);
  std::uintptr_t next;
  // The one bounds check; the carry makes an absurd size fail it instead of wrapping around.
  if (!__builtin_add_overflow(p, bytes, &next) && next <= end_) [[likely]] {
    cur_ = next;
    ++allocations_;
    hooks::asan_unpoison(reinterpret_cast<void*>(p), bytes);
    if constexpr (hooks::kHeaptrack) note_handout(reinterpret_cast<void*>(p), bytes);
    return reinterpret_cast<void*>(p);
  }
  return refill(bytes, align);
}

}  // namespace wsalloc::memory
