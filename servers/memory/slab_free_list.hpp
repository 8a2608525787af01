// slab_free_list.hpp — SlabFreeList: equal-sized slots carved from slabs and recycled through an
// intrusive free list. The engine inside ObjectPool<T> and inside each class of SizeClassPool.
//
// Lifetime: a slot lives from pop() to push(). Pushed slots are recycled (LIFO: the slot pushed
// last is popped next, still warm in cache); slabs go back to upstream only in the destructor.
//
// Ownership: the list owns its slabs (from `upstream`). Slots still live at destruction are
// released with their slab; nothing runs on them.
//
// Invalidation: push(p) invalidates p. pop(), reserve() and moves invalidate nothing (a moved-from
// list owns nothing; its slots now belong to the new one).
//
// Growth (pop() with no free slot and no untouched slot left): a new slab is allocated from
// upstream; the first holds growth.first_slab_slots slots, each next one twice its predecessor's,
// up to growth.max_slab_slots. Geometric, so a pool reaching N live slots takes O(log N) upstream
// calls, and capped, so one late miss pins at most max_slab_slots x slot_bytes. A new slab is
// carved lazily (an untouched tail, not a pre-threaded list), so its pages are touched only as
// slots are first used: idle capacity costs address space, not RSS.
//
// Invariant (mimalloc style): live + on_free_list + untouched_tail == slots (stats().slots).
//
// At 0: there is no zero-sized slot; callers round up (slot_bytes >= sizeof(void*)).
// At the limit: none but upstream's; its std::bad_alloc propagates, the list unchanged.
//
// Tools: free and untouched slots are ASan-poisoned (a use after push, or a second push of the
// same slot, aborts with "use-after-poison"); debug builds fill pushed slots with 0xDD; debug and
// ASan builds check that a pushed pointer is a slot of this list (and abort naming it if not).
//
// Threads: none shared; one list per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <new>

#include "memory/tool_hooks.hpp"

namespace wsalloc::memory {

// Slab sizes in slots; see "Growth" above.
struct SlabGrowth {
  std::size_t first_slab_slots = 16;
  std::size_t max_slab_slots = 1024;
};

// Counters are cumulative since construction; live/peak/slabs/slots/slab_bytes are levels.
struct SlotStats {
  std::uint64_t hits = 0;       // pops served without upstream: a recycled or an untouched slot
  std::uint64_t misses = 0;     // pops that had to allocate a new slab from upstream
  std::size_t live = 0;         // popped and not yet pushed
  std::size_t peak = 0;         // max of live
  std::size_t slabs = 0;
  std::size_t slots = 0;        // capacity of all slabs
  std::size_t slab_bytes = 0;   // bytes held from upstream (slots + slab trailers)
};

class SlabFreeList {
 public:
  // REQUIRES: slot_align a power of two >= alignof(void*); slot_bytes a non-zero multiple of
  // slot_align; 1 <= first_slab_slots <= max_slab_slots. Throws std::invalid_argument naming the
  // offending value and the limit. Allocates nothing.
  SlabFreeList(std::size_t slot_bytes, std::size_t slot_align, SlabGrowth growth,
               std::pmr::memory_resource* upstream);
  ~SlabFreeList();
  SlabFreeList(SlabFreeList&& other) noexcept;
  SlabFreeList(const SlabFreeList&) = delete;
  SlabFreeList& operator=(const SlabFreeList&) = delete;
  SlabFreeList& operator=(SlabFreeList&&) = delete;

  // A slot of slot_bytes, aligned to slot_align. Contents unspecified. Throws std::bad_alloc if a
  // needed slab cannot be had (strong guarantee).
  [[nodiscard]] void* pop();
  // REQUIRES: p came from pop() of this list and was not pushed since (checked in debug and ASan
  // builds: a foreign pointer aborts with a message, a second push is reported by ASan).
  void push(void* p) noexcept;
  // Makes at least n pops succeed without upstream (warm-up). Counts no hit or miss.
  // Strong guarantee on std::bad_alloc.
  void reserve(std::size_t n);

  const SlotStats& stats() const noexcept { return stats_; }
  std::size_t slot_bytes() const noexcept { return slot_bytes_; }
  std::size_t slot_align() const noexcept { return slot_align_; }
  // Gives the pages of idle slots back to the kernel (madvise MADV_DONTNEED) but the first page of
  // each, which holds the free-list link: the slots stay on the free list, and their pages come
  // back zero-filled when a popped slot is written again, with no upstream call (a pool stays
  // allocation-free). The first `keep` free slots, which pop() hands out next (LIFO), are left
  // alone. Only for slots page-aligned and of at least two pages (others have nothing to give).
  // O(free slots): meant for a periodic trim, not the hot path. Returns {free slots seen, bytes
  // advised}.
  struct Released {
    std::size_t free_slots = 0;
    std::size_t bytes = 0;
  };
  Released release_idle_pages(std::size_t keep) noexcept;

  // Whether p is the start of a slot of this list (live or not). O(slabs); for checks and tests.
  bool owns(const void* p) const noexcept;

 private:
  struct FreeSlot {
    FreeSlot* next;
  };
  struct Slab;  // trailer behind each slab's slots

  [[gnu::noinline]] void* pop_slow();
  Slab* new_slab(std::size_t slots);
  void check_push(const void* p) const noexcept;

  // Hot.
  FreeSlot* free_ = nullptr;
  std::byte* tail_ = nullptr;      // untouched slots of the newest slab: [tail_, tail_end_)
  std::byte* tail_end_ = nullptr;
  SlotStats stats_;
  std::size_t slot_bytes_;
  // Cold.
  std::size_t slot_align_;
  std::size_t next_slab_slots_;
  std::size_t max_slab_slots_;
  Slab* slabs_ = nullptr;          // newest first
  std::pmr::memory_resource* upstream_;
};

inline void* SlabFreeList::pop() {
  void* p;
  if (free_ != nullptr) [[likely]] {
    FreeSlot* s = free_;
    hooks::asan_unpoison(s, slot_bytes_);
    free_ = s->next;
    p = s;
  } else if (tail_ != tail_end_) {
    p = tail_;
    tail_ += slot_bytes_;
    hooks::asan_unpoison(p, slot_bytes_);
  } else {
    return pop_slow();
  }
  ++stats_.hits;
  if (++stats_.live > stats_.peak) stats_.peak = stats_.live;
  return p;
}

inline void SlabFreeList::push(void* p) noexcept {
  if constexpr (hooks::kDebugChecks || hooks::kAsan) check_push(p);  // O(slabs)
  hooks::debug_fill(p, slot_bytes_);
  // Under ASan a second push of p writes into poisoned bytes here and is reported.
  free_ = ::new (p) FreeSlot{free_};
  hooks::asan_poison(p, slot_bytes_);
  --stats_.live;
}

}  // namespace wsalloc::memory
