// tool_hooks.hpp — what the memory building blocks tell debugging and profiling tools.
//
// Area, SlabFreeList (and so ObjectPool and SizeClassPool) hand out memory that never reaches
// free(), so neither ASan nor heaptrack would notice a use after reset/destroy or see a handout.
// These hooks close that gap. Each compiles to nothing unless its tool is present:
//   - ASan (GCC __SANITIZE_ADDRESS__, Clang __has_feature(address_sanitizer)): memory that is not
//     handed out is poisoned, handouts are unpoisoned, so a touch after reset/destroy aborts with
//     "use-after-poison". Independent of NDEBUG (the sanitizer build is a Release build).
//   - Debug builds (!NDEBUG): retired memory is filled with kPoisonByte (0xDD) so a stale read
//     shows a recognisable pattern. Debug and ASan builds also check that a returned pointer
//     belongs to the resource (Area::retire, SlabFreeList::check_push) and call fail() if not.
//   - heaptrack: with WSALLOC_HEAPTRACK_ANNOTATE=1 (CMake option, default OFF: it costs an
//     out-of-line call per handout) handouts are reported with heaptrack_report_alloc/free.
//     Blocks and slabs are "taken over": reported freed as they arrive from upstream and
//     reported allocated again just before they go back. So each byte counts once, at the code
//     that asked for it (not twice, as slab and as handout), and a handout at a slab's first
//     byte does not collide with the slab's own record. This assumes a malloc-backed upstream
//     (new_delete_resource, the default); idle capacity in blocks/slabs is then not in the profile.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

#if defined(__SANITIZE_ADDRESS__)
#define WSALLOC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WSALLOC_ASAN 1
#endif
#endif
#ifndef WSALLOC_ASAN
#define WSALLOC_ASAN 0
#endif

#if WSALLOC_ASAN
#include <sanitizer/asan_interface.h>
#endif

#ifndef WSALLOC_HEAPTRACK_ANNOTATE
#define WSALLOC_HEAPTRACK_ANNOTATE 0
#endif

namespace wsalloc::memory::hooks {

inline constexpr bool kAsan = WSALLOC_ASAN != 0;
#ifdef NDEBUG
inline constexpr bool kDebugChecks = false;
#else
inline constexpr bool kDebugChecks = true;
#endif
inline constexpr bool kHeaptrack = WSALLOC_HEAPTRACK_ANNOTATE != 0;
// 0xDD: the byte MSVC's debug heap uses for freed memory; easy to spot in a hex dump.
inline constexpr unsigned char kPoisonByte = 0xDD;

// ASan: poisoning is conservative at 8-byte granules (a granule shared with a live handout stays
// addressable); unpoisoning may open a superset. Neither gives false reports.
inline void asan_poison(const void* p, std::size_t n) noexcept {
#if WSALLOC_ASAN
  ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n;
#endif
}
inline void asan_unpoison(const void* p, std::size_t n) noexcept {
#if WSALLOC_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n;
#endif
}

// Debug builds only: overwrite memory whose handout ended. Caller guarantees p..p+n is unpoisoned.
inline void debug_fill(void* p, std::size_t n) noexcept {
  if constexpr (kDebugChecks) std::memset(p, kPoisonByte, n);
}

// heaptrack: defined in tool_hooks.cpp (the only file that may include heaptrack_api.h, which
// defines a non-inline function in dlsym mode). No-ops when the annotation is compiled out.
#if WSALLOC_HEAPTRACK_ANNOTATE
void heaptrack_alloc(const void* p, std::size_t n) noexcept;
void heaptrack_free(const void* p) noexcept;
#else
inline void heaptrack_alloc(const void*, std::size_t) noexcept {}
inline void heaptrack_free(const void*) noexcept {}
#endif
// A block/slab just obtained from upstream / about to be returned to it (see the file comment).
inline void heaptrack_take_over(const void* upstream_block) noexcept {
  heaptrack_free(upstream_block);
}
inline void heaptrack_give_back(const void* upstream_block, std::size_t n) noexcept {
  heaptrack_alloc(upstream_block, n);
}

// An impossible state in a debug check (foreign pointer, broken invariant): prints
// "wsalloc memory: <what>" to stderr and aborts. Out of line so the checks stay small.
[[noreturn]] void fail(std::string_view what) noexcept;

}  // namespace wsalloc::memory::hooks
