// object_pool.hpp — ObjectPool<T>: T objects in recycled slots (connections, frames, buffers).
//
// Lifetime: an object lives from create() to destroy(). destroy() runs ~T and puts the slot on a
// free list; the next create() reuses it (LIFO, the most recently destroyed slot first). Memory
// goes back to the heap only when the pool is destroyed, never while it is alive.
//
// Ownership: the pool owns the slabs (from `upstream`); the caller owns each object between
// create() and destroy(). REQUIRES at destruction: live() == 0. Objects still live then are not
// destroyed (the pool cannot know which slots hold them); their memory is released anyway.
//
// Invalidation: destroy(p) invalidates p. Nothing else invalidates anything; objects never move.
//
// Slabs grow geometrically: 16 slots, then 32, 64, ... until a slab would pass
// options.max_slab_bytes (256 KiB by default; always at least one slot), then stay at that size.
// reserve(n) pre-sizes for a known population (e.g. max connections) so warm-up takes one slab.
// See slab_free_list.hpp for the statistics' meaning (hits, misses, live, peak, slabs).
//
// At 0: every T gets a slot of at least sizeof(void*) bytes (the free-list link), so empty types
// still get distinct addresses. At the limit: none but upstream's (std::bad_alloc propagates).
// If T's constructor throws, create() returns the slot and rethrows (strong guarantee).
//
// Tools: destroyed slots are ASan-poisoned (use after destroy aborts) and 0xDD-filled in debug;
// with WSALLOC_HEAPTRACK_ANNOTATE each create/destroy is reported to heaptrack.
//
// Threads: none shared; one pool per poller thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory_resource>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "memory/slab_free_list.hpp"
#include "memory/tool_hooks.hpp"

namespace wsalloc::memory {

struct ObjectPoolOptions {
  std::size_t first_slab_slots = 16;
  std::size_t max_slab_bytes = 256 * 1024;  // 256 KiB: doubling stops before a slab passes this
};

template <class T>
class ObjectPool {
  static_assert(std::is_object_v<T> && !std::is_array_v<T> && !std::is_const_v<T>,
                "create() constructs one whole, mutable T per slot");
  static_assert(std::is_nothrow_destructible_v<T>, "destroy() is noexcept, so ~T must be too");

 public:
  // The free-list link lives in a free slot, so a slot holds a T or a pointer, aligned for both.
  static constexpr std::size_t kSlotAlign = std::max(alignof(T), alignof(void*));
  static constexpr std::size_t kSlotBytes =
      (std::max(sizeof(T), sizeof(void*)) + kSlotAlign - 1) / kSlotAlign * kSlotAlign;

  // Throws std::invalid_argument for first_slab_slots == 0 or a null upstream. Allocates nothing.
  explicit ObjectPool(std::string_view name, ObjectPoolOptions options = {},
                      std::pmr::memory_resource* upstream = std::pmr::new_delete_resource())
      : slots_(kSlotBytes, kSlotAlign, growth(options), upstream), name_(name) {}
  ObjectPool(const ObjectPool&) = delete;
  ObjectPool& operator=(const ObjectPool&) = delete;

  template <class... Args>
  [[nodiscard]] T* create(Args&&... args) {
    void* slot = slots_.pop();
    T* obj;
    if constexpr (std::is_nothrow_constructible_v<T, Args...>) {
      obj = ::new (slot) T(std::forward<Args>(args)...);
    } else {
      try {
        obj = ::new (slot) T(std::forward<Args>(args)...);
      } catch (...) {
        slots_.push(slot);
        throw;
      }
    }
    hooks::heaptrack_alloc(obj, sizeof(T));
    return obj;
  }

  // nullptr is ignored. REQUIRES: p came from create() of this pool and was not destroyed since.
  void destroy(T* p) noexcept {
    if (p == nullptr) return;
    p->~T();
    hooks::heaptrack_free(p);
    slots_.push(p);
  }

  // At least n more create() calls will not need upstream. Strong guarantee on std::bad_alloc.
  void reserve(std::size_t n) { slots_.reserve(n); }

  const SlotStats& stats() const noexcept { return slots_.stats(); }
  std::size_t live() const noexcept { return slots_.stats().live; }
  std::string_view name() const noexcept { return name_; }
  bool owns(const T* p) const noexcept { return slots_.owns(p); }

 private:
  static SlabGrowth growth(const ObjectPoolOptions& o) noexcept {
    const std::size_t cap = std::max(o.first_slab_slots, o.max_slab_bytes / kSlotBytes);
    return SlabGrowth{o.first_slab_slots, cap};
  }

  SlabFreeList slots_;
  std::string name_;
};

}  // namespace wsalloc::memory
