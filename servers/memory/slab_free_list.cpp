// slab_free_list.cpp — slab allocation, warm-up and checks. pop()/push() are in the header.
#include "memory/slab_free_list.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace wsalloc::memory {

// Behind the slots of each slab (the slots start at the upstream allocation, so they get its
// alignment without a header in front).
struct SlabFreeList::Slab {
  Slab* next;
  std::size_t slots;
};

namespace {

std::string arg_error(const char* what, std::size_t value, const char* limit) {
  return std::string("SlabFreeList: ") + what + " " + std::to_string(value) + " " + limit;
}

}  // namespace

SlabFreeList::SlabFreeList(std::size_t slot_bytes, std::size_t slot_align, SlabGrowth growth,
                           std::pmr::memory_resource* upstream)
    : slot_bytes_(slot_bytes),
      slot_align_(slot_align),
      next_slab_slots_(growth.first_slab_slots),
      max_slab_slots_(growth.max_slab_slots),
      upstream_(upstream) {
  if (slot_align < alignof(FreeSlot) || (slot_align & (slot_align - 1)) != 0) {
    throw std::invalid_argument(
        arg_error("slot_align", slot_align, "is not a power of two >= alignof(void*)"));
  }
  if (slot_bytes == 0 || slot_bytes % slot_align != 0) {
    throw std::invalid_argument(arg_error("slot_bytes", slot_bytes,
                                          ("is not a non-zero multiple of slot_align " +
                                           std::to_string(slot_align)).c_str()));
  }
  if (growth.first_slab_slots == 0) {
    throw std::invalid_argument(arg_error("first_slab_slots", 0, "< minimum 1"));
  }
  if (growth.max_slab_slots < growth.first_slab_slots) {
    throw std::invalid_argument(arg_error("max_slab_slots", growth.max_slab_slots,
                                          ("< first_slab_slots " +
                                           std::to_string(growth.first_slab_slots)).c_str()));
  }
  if (upstream == nullptr) throw std::invalid_argument("SlabFreeList: upstream resource is null");
}

SlabFreeList::SlabFreeList(SlabFreeList&& other) noexcept
    : free_(std::exchange(other.free_, nullptr)),
      tail_(std::exchange(other.tail_, nullptr)),
      tail_end_(std::exchange(other.tail_end_, nullptr)),
      stats_(std::exchange(other.stats_, SlotStats{})),
      slot_bytes_(other.slot_bytes_),
      slot_align_(other.slot_align_),
      next_slab_slots_(other.next_slab_slots_),
      max_slab_slots_(other.max_slab_slots_),
      slabs_(std::exchange(other.slabs_, nullptr)),
      upstream_(other.upstream_) {}

SlabFreeList::~SlabFreeList() {
  while (slabs_ != nullptr) {
    Slab* s = slabs_;
    slabs_ = s->next;
    const std::size_t slot_area = s->slots * slot_bytes_;
    std::byte* base = reinterpret_cast<std::byte*>(s) - slot_area;
    hooks::asan_unpoison(base, slot_area);  // upstream may reuse the bytes
    hooks::heaptrack_give_back(base, slot_area + sizeof(Slab));
    upstream_->deallocate(base, slot_area + sizeof(Slab), std::max(slot_align_, alignof(Slab)));
  }
}

// ---- growth ------------------------------------------------------------------------------------

SlabFreeList::Slab* SlabFreeList::new_slab(std::size_t slots) {
  if (slots > (std::numeric_limits<std::size_t>::max() - sizeof(Slab)) / slot_bytes_) {
    throw std::bad_alloc();
  }
  const std::size_t slot_area = slots * slot_bytes_;
  // slot_area is a multiple of slot_align >= alignof(void*), so the trailer is aligned.
  auto* base = static_cast<std::byte*>(
      upstream_->allocate(slot_area + sizeof(Slab), std::max(slot_align_, alignof(Slab))));
  Slab* s = ::new (base + slot_area) Slab{slabs_, slots};
  hooks::heaptrack_take_over(base);
  slabs_ = s;
  hooks::asan_poison(base, slot_area);  // unpoisoned slot by slot in pop()
  ++stats_.slabs;
  stats_.slots += slots;
  stats_.slab_bytes += slot_area + sizeof(Slab);
  return s;
}

void* SlabFreeList::pop_slow() {
  Slab* s = new_slab(next_slab_slots_);
  next_slab_slots_ =
      next_slab_slots_ >= max_slab_slots_ / 2 ? max_slab_slots_ : next_slab_slots_ * 2;
  tail_ = reinterpret_cast<std::byte*>(s) - s->slots * slot_bytes_;
  tail_end_ = reinterpret_cast<std::byte*>(s);
  ++stats_.misses;
  void* p = tail_;
  tail_ += slot_bytes_;
  hooks::asan_unpoison(p, slot_bytes_);
  if (++stats_.live > stats_.peak) stats_.peak = stats_.live;
  return p;
}

void SlabFreeList::reserve(std::size_t n) {
  const std::size_t available = stats_.slots - stats_.live;
  if (available >= n) return;
  Slab* s = new_slab(n - available);  // first, so a failure leaves everything as it was
  // Only one untouched tail is tracked: thread the old one onto the free list before replacing it.
  while (tail_ != tail_end_) {
    hooks::asan_unpoison(tail_, sizeof(FreeSlot));
    free_ = ::new (tail_) FreeSlot{free_};
    hooks::asan_poison(tail_, slot_bytes_);
    tail_ += slot_bytes_;
  }
  tail_ = reinterpret_cast<std::byte*>(s) - s->slots * slot_bytes_;
  tail_end_ = reinterpret_cast<std::byte*>(s);
}

SlabFreeList::Released SlabFreeList::release_idle_pages(std::size_t keep) noexcept {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  Released r;
  const bool can = slot_bytes_ >= 2 * page && slot_align_ % page == 0;
  for (FreeSlot* s = free_; s != nullptr;) {
    hooks::asan_unpoison(s, sizeof(FreeSlot));
    FreeSlot* next = s->next;
    hooks::asan_poison(s, sizeof(FreeSlot));
    if (can && r.free_slots >= keep) {
      // Repeated on a slot already given back, this only walks its (empty) page tables.
      if (::madvise(reinterpret_cast<std::byte*>(s) + page, slot_bytes_ - page, MADV_DONTNEED) == 0)
        r.bytes += slot_bytes_ - page;
    }
    ++r.free_slots;
    s = next;
  }
  return r;
}

// ---- checks ------------------------------------------------------------------------------------

bool SlabFreeList::owns(const void* p) const noexcept {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  for (const Slab* s = slabs_; s != nullptr; s = s->next) {
    const auto end = reinterpret_cast<std::uintptr_t>(s);
    const auto begin = end - s->slots * slot_bytes_;
    if (a >= begin && a < end) return (a - begin) % slot_bytes_ == 0;
  }
  return false;
}

void SlabFreeList::check_push(const void* p) const noexcept {
  char where[32];
  if (stats_.live == 0) {
    std::snprintf(where, sizeof where, "%p", p);
    hooks::fail(std::string("SlabFreeList::push(") + where + "): live 0, nothing to push (slot_bytes " +
                std::to_string(slot_bytes_) + ")");
  }
  if (!owns(p)) {
    std::snprintf(where, sizeof where, "%p", p);
    hooks::fail(std::string("SlabFreeList::push(") + where + "): not a slot of this list (slot_bytes " +
                std::to_string(slot_bytes_) + ", " + std::to_string(stats_.slabs) + " slabs)");
  }
}

}  // namespace wsalloc::memory
