// area.cpp — Area's slow paths: refill, overflow, reset, checks. The fast path is in area.hpp.
#include "memory/area.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

namespace wsalloc::memory {

// Lives in the first kBlockAlign bytes of each upstream block; the data follows, cache-line aligned.
struct Area::Block {
  Block* next;
  std::size_t used;  // bytes bumped here; valid for blocks behind current_ (written by refill)

  std::byte* data() noexcept { return reinterpret_cast<std::byte*>(this) + kBlockAlign; }
  std::uintptr_t begin() noexcept { return reinterpret_cast<std::uintptr_t>(data()); }
};

// Sits immediately before an overflow payload, inside the same upstream allocation.
struct Area::Overflow {
  Overflow* next;
  void* base;          // what upstream returned
  std::size_t total;   // what upstream was asked for
  std::size_t align;
  std::size_t bytes;   // the request

  std::byte* payload() noexcept { return reinterpret_cast<std::byte*>(this + 1); }
};

namespace {

constexpr std::size_t round_up(std::size_t n, std::size_t align) noexcept {
  return (n + align - 1) & ~(align - 1);
}

std::string quoted(std::string_view name) { return "Area(\"" + std::string(name) + "\")"; }

}  // namespace

Area::Area(std::string_view name, std::size_t block_bytes, std::size_t max_blocks,
           std::pmr::memory_resource* upstream)
    : block_bytes_(round_up(block_bytes, kBlockAlign)),
      max_blocks_(max_blocks),
      upstream_(upstream),
      name_(name) {
  constexpr std::size_t kMaxBlockBytes = std::numeric_limits<std::size_t>::max() / 4;
  if (block_bytes == 0 || block_bytes > kMaxBlockBytes) {
    throw std::invalid_argument(quoted(name) + ": block_bytes " + std::to_string(block_bytes) +
                                " outside [1, " + std::to_string(kMaxBlockBytes) + "]");
  }
  if (max_blocks == 0) {
    throw std::invalid_argument(quoted(name) + ": max_blocks 0 < minimum 1");
  }
  if (upstream == nullptr) {
    throw std::invalid_argument(quoted(name) + ": upstream resource is null");
  }
}

Area::~Area() {
  forget_handouts();
  free_overflow();
  if (first_ != nullptr) {
    free_blocks_after(first_);
    hooks::asan_unpoison(first_->data(), block_bytes_);
    hooks::heaptrack_give_back(first_, kBlockAlign + block_bytes_);
    upstream_->deallocate(first_, kBlockAlign + block_bytes_, kBlockAlign);
  }
}

// ---- stats -------------------------------------------------------------------------------------

std::size_t Area::bytes_in_use() const noexcept {
  const std::size_t in_current = current_ != nullptr ? cur_ - current_->begin() : 0;
  return used_before_current_ + in_current + overflow_live_bytes_;
}

// bytes_in_use only grows between resets (deallocate frees nothing), so its maximum over a cycle
// is its value at the cycle's end: recording it in reset() is exact.
std::size_t Area::high_water() const noexcept { return std::max(high_water_, bytes_in_use()); }

AreaStats Area::stats() const noexcept {
  AreaStats s;
  s.bytes_in_use = bytes_in_use();
  s.high_water = high_water();
  s.resets = resets_;
  s.blocks = blocks_;
  s.overflow_fallbacks = overflow_fallbacks_;
  s.overflow_bytes = overflow_bytes_;
  s.allocations = allocations_;
  s.block_allocations = block_allocations_;
  return s;
}

// ---- refill: the slow path behind bump() -------------------------------------------------------

void* Area::refill(std::size_t bytes, std::size_t align) {
  if constexpr (hooks::kDebugChecks) {
    if (align == 0 || (align & (align - 1)) != 0) {
      hooks::fail(quoted(name_) + "::allocate(" + std::to_string(bytes) + " B, align " +
                  std::to_string(align) + "): alignment is not a power of two");
    }
  }
  // An empty block starts kBlockAlign-aligned, so only alignments above that can need padding.
  const std::size_t worst_pad = align > kBlockAlign ? align - kBlockAlign : 0;
  if (bytes > block_bytes_ || worst_pad > block_bytes_ - bytes) return overflow(bytes, align);

  Block* next = current_ != nullptr ? current_->next : first_;
  if (next == nullptr) {
    if (blocks_ == max_blocks_) return overflow(bytes, align);
    next = new_block();
    if (current_ != nullptr) {
      current_->next = next;
    } else {
      first_ = next;
    }
  }
  if (current_ != nullptr) {
    current_->used = cur_ - current_->begin();
    used_before_current_ += current_->used;
  }
  current_ = next;
  cur_ = next->begin();
  end_ = cur_ + block_bytes_;
  return bump(bytes, align);  // fits: checked against an empty block above
}

Area::Block* Area::new_block() {
  static_assert(sizeof(Block) <= kBlockAlign,
                "the block header fits in front of the cache-line aligned data");
  void* raw = upstream_->allocate(kBlockAlign + block_bytes_, kBlockAlign);
  Block* b = ::new (raw) Block{nullptr, 0};
  hooks::heaptrack_take_over(raw);
  hooks::asan_poison(b->data(), block_bytes_);  // unpoisoned piecewise by bump()
  ++blocks_;
  ++block_allocations_;
  return b;
}

void* Area::overflow(std::size_t bytes, std::size_t align) {
  const std::size_t a = std::max(align, alignof(Overflow));
  const std::size_t header = round_up(sizeof(Overflow), a);  // keeps the payload aligned to a
  if (bytes > std::numeric_limits<std::size_t>::max() - header) throw std::bad_alloc();
  void* base = upstream_->allocate(header + bytes, a);
  hooks::heaptrack_take_over(base);
  std::byte* payload = static_cast<std::byte*>(base) + header;
  overflow_ = ::new (payload - sizeof(Overflow)) Overflow{overflow_, base, header + bytes, a, bytes};
  ++overflow_fallbacks_;
  overflow_bytes_ += bytes;
  overflow_live_bytes_ += bytes;
  ++allocations_;
  if constexpr (hooks::kHeaptrack) note_handout(payload, bytes);
  return payload;
}

// ---- reset and release -------------------------------------------------------------------------

void Area::reset(Retain retain) noexcept {
  high_water_ = high_water();
  if (current_ != nullptr) {
    current_->used = cur_ - current_->begin();
    for (Block* b = first_;; b = b->next) {
      // Debug fill needs the bytes addressable; ASan poisons them again right after.
      if constexpr (hooks::kDebugChecks) {
        hooks::asan_unpoison(b->data(), b->used);
        hooks::debug_fill(b->data(), b->used);
      }
      hooks::asan_poison(b->data(), b->used);
      if (b == current_) break;
    }
  }
  forget_handouts();
  free_overflow();
  if (retain == Retain::FirstBlock && first_ != nullptr) free_blocks_after(first_);

  current_ = first_;
  cur_ = first_ != nullptr ? first_->begin() : 0;
  end_ = first_ != nullptr ? cur_ + block_bytes_ : 0;
  used_before_current_ = 0;
  overflow_live_bytes_ = 0;
  ++resets_;
}

void Area::reserve_blocks(std::size_t n) {
  n = std::min(n, max_blocks_);
  if (blocks_ >= n) return;
  Block* last = first_;
  while (last != nullptr && last->next != nullptr) last = last->next;
  while (blocks_ < n) {
    Block* b = new_block();
    if (last != nullptr) {
      last->next = b;
    } else {
      first_ = b;  // current_ stays null: the next bump() refills into it without an upstream call
    }
    last = b;
  }
}

void Area::free_blocks_after(Block* keep) noexcept {
  Block* b = keep->next;
  keep->next = nullptr;
  while (b != nullptr) {
    Block* next = b->next;
    hooks::asan_unpoison(b->data(), block_bytes_);  // upstream may reuse the bytes
    hooks::heaptrack_give_back(b, kBlockAlign + block_bytes_);
    upstream_->deallocate(b, kBlockAlign + block_bytes_, kBlockAlign);
    --blocks_;
    b = next;
  }
}

void Area::free_overflow() noexcept {
  while (overflow_ != nullptr) {
    Overflow* o = overflow_;
    overflow_ = o->next;
    const Overflow copy = *o;  // the header lives inside the allocation being freed
    hooks::asan_unpoison(copy.base, copy.total);
    hooks::heaptrack_give_back(copy.base, copy.total);
    upstream_->deallocate(copy.base, copy.total, copy.align);
  }
}

// ---- deallocate (debug/ASan only) --------------------------------------------------------------

void Area::retire(void* p, std::size_t bytes) noexcept {
  const std::size_t n = bytes + (bytes == 0);  // bump() handed out one byte for a zero-byte request
  // Also under ASan: poisoning a stale pointer (one from before the last reset) could poison a
  // live handout of this cycle and make ASan blame innocent code later. A stale pointer that lies
  // inside this cycle's bumped bytes still passes; the check is cheap, not complete.
  if constexpr (hooks::kDebugChecks || hooks::kAsan) {
    if (!holds(p, n)) {
      char where[32];
      std::snprintf(where, sizeof where, "%p", p);
      hooks::fail(quoted(name_) + "::deallocate(" + where + ", " + std::to_string(bytes) +
                  " B): not a live handout of this area (" + std::to_string(blocks_) +
                  " blocks owned, block_bytes " + std::to_string(block_bytes_) + ")");
    }
  }
  hooks::debug_fill(p, n);
  hooks::asan_poison(p, n);
}

bool Area::holds(const void* p, std::size_t n) const noexcept {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  if (current_ != nullptr) {
    for (Block* b = first_;; b = b->next) {
      const std::uintptr_t lo = b->begin();
      const std::uintptr_t hi = b == current_ ? cur_ : lo + b->used;
      if (a >= lo && a <= hi && n <= hi - a) return true;
      if (b == current_) break;
    }
  }
  for (Overflow* o = overflow_; o != nullptr; o = o->next) {
    if (o->payload() == p && n <= o->bytes + (o->bytes == 0)) return true;
  }
  return false;
}

// ---- heaptrack ---------------------------------------------------------------------------------

void Area::note_handout(void* p, std::size_t bytes) {
#if WSALLOC_HEAPTRACK_ANNOTATE
  hooks::heaptrack_alloc(p, bytes);
  handouts_.push_back(p);
#else
  (void)p, (void)bytes;
#endif
}

void Area::forget_handouts() noexcept {
#if WSALLOC_HEAPTRACK_ANNOTATE
  for (void* p : handouts_) hooks::heaptrack_free(p);
  handouts_.clear();  // keeps its capacity
#endif
}

}  // namespace wsalloc::memory
