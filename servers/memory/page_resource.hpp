// page_resource.hpp — PageResource: a std::pmr::memory_resource that maps large requests straight
// from the kernel (mmap) and unmaps them on deallocate; smaller ones go to `upstream`.
//
// Why: glibc malloc raises its mmap threshold to the size of every mmapped chunk it frees (its
// "dynamic threshold", up to 32 MiB). After an Area gives back one 2 MiB block, the next ones
// come from the thread's malloc arena, and freed blocks stay there, resident, fragmented between
// live chunks. Measured (tests/soak, arena variant, 45 s): RSS 39 -> 45 MiB after the warm-up and
// still stepping, while the same run with glibc's threshold pinned (GLIBC_TUNABLES=
// glibc.malloc.mmap_threshold=131072) stayed flat at 18 MiB. An Area's large blocks and
// overflows live for a cycle and are few: a system call each is cheap next to the payload they
// hold, and what is given back leaves the process at once. Pinning the threshold process-wide
// (mallopt) would change the malloc variant too, the baseline this project compares against.
//
// Ownership: the caller owns each allocation until deallocate(p, bytes, align).
// REQUIRES: deallocate gets the bytes and align that allocate got (std::pmr's contract, and here
// more than a formality: the pair alone decides whether p is unmapped or handed to upstream, and
// how many pages munmap drops; a wrong size unmaps a neighbour or leaks pages, unchecked).
// Large allocations still live at destruction leak.
// Cost: below the threshold, upstream's cost plus one compare. At or above it, one mmap system
// call per allocate and one munmap per deallocate (microseconds each, plus a page fault per page
// first touched), and the length is rounded up to whole pages: meant for a few large, long-lived
// blocks (an Area's), never for per-message requests.
// Invalidation: deallocate(p) invalidates p.
// At the limit: mmap's failure is std::bad_alloc; nothing changes.
// Statistics: maps and unmaps (cumulative; a map is an allocation the LD_PRELOAD counter cannot
// see, so the zero-allocation tests read it from /stats), mapped_bytes (live, page-rounded).
// Tools: a mapping is reported to heaptrack as an allocation (with WSALLOC_HEAPTRACK_ANNOTATE), so
// Area's "take over" of upstream blocks works as it does with malloc.
// Threads: none shared. One per poller thread; no locks, no atomics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>

namespace wsalloc::memory {

// glibc's initial mmap threshold: what malloc itself would map before the dynamic raise.
inline constexpr std::size_t kPageMapThreshold = 128 * 1024;

struct PageResourceStats {
  std::uint64_t maps = 0;
  std::uint64_t unmaps = 0;
  std::size_t mapped_bytes = 0;
  std::size_t threshold = 0;
};

class PageResource final : public std::pmr::memory_resource {
 public:
  // Requests of at least `threshold` bytes are mapped; the rest go to `upstream`.
  explicit PageResource(std::size_t threshold = kPageMapThreshold,
                        std::pmr::memory_resource* upstream = std::pmr::new_delete_resource()) noexcept
      : threshold_(threshold), upstream_(upstream) {}
  PageResource(const PageResource&) = delete;
  PageResource& operator=(const PageResource&) = delete;

  PageResourceStats stats() const noexcept { return {maps_, unmaps_, mapped_bytes_, threshold_}; }

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override;
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override { return this == &other; }
  bool mapped(std::size_t bytes, std::size_t align) const noexcept;

  std::size_t threshold_;
  std::pmr::memory_resource* upstream_;
  std::uint64_t maps_ = 0;
  std::uint64_t unmaps_ = 0;
  std::size_t mapped_bytes_ = 0;
};

}  // namespace wsalloc::memory
