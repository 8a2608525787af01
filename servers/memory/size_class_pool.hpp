// size_class_pool.hpp — SizeClassPool: a std::pmr::memory_resource of power-of-two size classes.
//
// Routing: a request (bytes, align) goes to the smallest class of at least max(bytes, align,
// min_class_bytes) bytes: 16, 32, 64, ... 1 MiB by default, 17 classes. Each class is a
// SlabFreeList (slab_free_list.hpp) of chunks of exactly its size. Requests above
// max_class_bytes, or aligned above kMaxChunkAlign, are "large": passed to upstream and counted.
//
// Lifetime: a chunk lives from allocate() to deallocate(). deallocate() puts it back on its
// class's free list (recycled, not freed); the next allocate() of that class reuses it (LIFO).
// Slabs go back to upstream only in the destructor. Large allocations go back to upstream at once.
//
// Ownership: the pool owns its slabs. REQUIRES at destruction: every allocation deallocated (as
// for any memory_resource). Chunks still live are released with their slabs; large allocations
// still live are not tracked and leak.
//
// REQUIRES: deallocate(p, bytes, align) gets the bytes and align that allocate got (std::pmr's
// contract). The pool keeps no header per chunk: the pair alone picks the class p goes back to,
// so a wrong size files the chunk under another class (handed out later at the wrong size) or
// sends a pooled chunk to upstream; release builds do not check it.
//
// Invalidation: deallocate(p) invalidates p; nothing else invalidates anything.
//
// Cost: allocate and deallocate of a class are inline: a bit_width for the class, a pop or push
// on its free list and two counter updates (O(1), no system call, no lock). A miss allocates one
// slab from upstream (out of line); a large request is upstream's cost plus counting.
//
// Slabs per class grow geometrically: the first holds first_slab_bytes / class_bytes chunks (at
// least one), each next twice as many, capped at max_slab_bytes / class_bytes (at least one). So
// the 1 MiB class has one chunk per slab, the 16 B class 1024 then up to 16384 per slab.
//
// Alignment: a chunk of class C is aligned to min(C, kMaxChunkAlign) (slabs are allocated with
// that alignment), hence any align <= kMaxChunkAlign is honoured by rounding the class up to it.
//
// At 0: a zero-byte request gets a chunk of the smallest class (non-null, distinct).
// At the limit: none but upstream's; std::bad_alloc propagates with the pool unchanged.
//
// Statistics: per class hits (served without upstream), misses (a slab had to be allocated), live,
// peak (see SlotStats); totals add live/peak bytes and the large requests.
//
// Threads: none shared. One pool per poller thread; no locks, no atomics.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include "memory/slab_free_list.hpp"
#include "memory/tool_hooks.hpp"

namespace wsalloc::memory {

struct SizeClassPoolOptions {
  std::size_t min_class_bytes = 16;           // a power of two >= sizeof(void*)
  std::size_t max_class_bytes = 1024 * 1024;  // 1 MiB; a power of two >= min_class_bytes
  std::size_t first_slab_bytes = 16 * 1024;   // 16 KiB
  std::size_t max_slab_bytes = 256 * 1024;    // 256 KiB
};

// Pool-wide figures (SizeClassPool::totals()). Counters cumulative; the rest are levels.
struct SizeClassPoolTotals {
  std::uint64_t hits = 0;              // sums over the classes
  std::uint64_t misses = 0;
  std::size_t live = 0;
  std::size_t slabs = 0;
  std::size_t slab_bytes = 0;          // held from upstream by the classes
  std::size_t live_bytes = 0;          // live chunks x their class size
  std::size_t peak_live_bytes = 0;     // max of live_bytes
  std::uint64_t large_allocations = 0; // requests passed to upstream
  std::uint64_t large_bytes = 0;       // bytes requested by those
  std::size_t large_live = 0;          // of those, not yet deallocated
  std::size_t large_live_bytes = 0;
};

class SizeClassPool final : public std::pmr::memory_resource {
 public:
  static constexpr std::size_t kNoClass = std::numeric_limits<std::size_t>::max();
  // A page: larger slab alignments would waste up to that much per slab in the upstream allocator.
  static constexpr std::size_t kMaxChunkAlign = 4096;

  // Throws std::invalid_argument naming the option, its value and the limit. Allocates the class
  // table only (one vector); no slab until the first request.
  explicit SizeClassPool(std::string_view name, SizeClassPoolOptions options = {},
                         std::pmr::memory_resource* upstream = std::pmr::new_delete_resource());
  ~SizeClassPool() override;
  SizeClassPool(const SizeClassPool&) = delete;
  SizeClassPool& operator=(const SizeClassPool&) = delete;

  // The class a request goes to, or kNoClass (upstream).
  std::size_t class_index(std::size_t bytes,
                          std::size_t align = alignof(std::max_align_t)) const noexcept;
  std::size_t class_count() const noexcept { return classes_.size(); }
  // REQUIRES (both): index < class_count().
  std::size_t class_bytes(std::size_t index) const noexcept { return min_class_bytes_ << index; }
  const SlotStats& class_stats(std::size_t index) const noexcept { return classes_[index].stats(); }
  SizeClassPoolTotals totals() const noexcept;

  // Idle memory back to the kernel, for a periodic trim: free chunks of the classes of at least
  // `from_class_bytes` give their pages back (SlabFreeList::release_idle_pages), except as many as
  // fit in `keep_bytes`, taken from the smaller classes first (the ones reused most). Chunks stay
  // in the pool: nothing is allocated when they are handed out again, their pages are faulted in.
  // Returns the bytes advised. O(free chunks of those classes).
  std::size_t release_idle_pages(std::size_t keep_bytes, std::size_t from_class_bytes = 256 * 1024) noexcept;

  // Warm-up: the class serving (bytes, align) can hand out `chunks` more without upstream.
  // No effect for large requests. Strong guarantee on std::bad_alloc.
  void reserve(std::size_t bytes, std::size_t chunks, std::size_t align = alignof(std::max_align_t));

  std::string_view name() const noexcept { return name_; }
  std::pmr::memory_resource* upstream() const noexcept { return upstream_; }

 protected:
  void* do_allocate(std::size_t bytes, std::size_t align) override;
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

 private:
  [[gnu::noinline]] void* allocate_large(std::size_t bytes, std::size_t align);
  [[gnu::noinline]] void deallocate_large(void* p, std::size_t bytes, std::size_t align) noexcept;

  std::vector<SlabFreeList> classes_;  // classes_[i] holds chunks of min_class_bytes_ << i
  std::size_t min_class_bytes_;
  std::size_t max_class_bytes_;
  unsigned min_class_shift_;
  std::size_t live_bytes_ = 0;
  std::size_t peak_live_bytes_ = 0;
  std::uint64_t large_allocations_ = 0;
  std::uint64_t large_bytes_ = 0;
  std::size_t large_live_ = 0;
  std::size_t large_live_bytes_ = 0;
  std::pmr::memory_resource* upstream_;
  std::string name_;
};

inline std::size_t SizeClassPool::class_index(std::size_t bytes, std::size_t align) const noexcept {
  if (align > kMaxChunkAlign) return kNoClass;
  const std::size_t n = std::max({bytes, align, min_class_bytes_});
  if (n > max_class_bytes_) return kNoClass;
  // ceil(log2 n) - log2 min; n >= min_class_bytes >= 8, so n - 1 > 0.
  return static_cast<std::size_t>(std::bit_width(n - 1)) - min_class_shift_;
}

inline void* SizeClassPool::do_allocate(std::size_t bytes, std::size_t align) {
  const std::size_t i = class_index(bytes, align);
  if (i == kNoClass) [[unlikely]] return allocate_large(bytes, align);
  void* p = classes_[i].pop();
  live_bytes_ += class_bytes(i);
  if (live_bytes_ > peak_live_bytes_) peak_live_bytes_ = live_bytes_;
  hooks::heaptrack_alloc(p, bytes);
  return p;
}

inline void SizeClassPool::do_deallocate(void* p, std::size_t bytes, std::size_t align) {
  const std::size_t i = class_index(bytes, align);  // the same route allocate() took
  if (i == kNoClass) [[unlikely]] return deallocate_large(p, bytes, align);
  hooks::heaptrack_free(p);
  classes_[i].push(p);
  live_bytes_ -= class_bytes(i);
}

}  // namespace wsalloc::memory
