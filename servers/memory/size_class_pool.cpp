// size_class_pool.cpp — construction, large requests, totals. The routing is in the header.
#include "memory/size_class_pool.hpp"

#include <algorithm>
#include <stdexcept>

namespace wsalloc::memory {

namespace {

bool power_of_two(std::size_t n) noexcept { return n != 0 && (n & (n - 1)) == 0; }

std::string pool_error(std::string_view name, const char* option, std::size_t value,
                       const std::string& limit) {
  return "SizeClassPool(\"" + std::string(name) + "\"): " + option + " " + std::to_string(value) +
         " " + limit;
}

}  // namespace

SizeClassPool::SizeClassPool(std::string_view name, SizeClassPoolOptions o,
                             std::pmr::memory_resource* upstream)
    : min_class_bytes_(o.min_class_bytes),
      max_class_bytes_(o.max_class_bytes),
      min_class_shift_(static_cast<unsigned>(std::countr_zero(o.min_class_bytes))),
      upstream_(upstream),
      name_(name) {
  if (!power_of_two(o.min_class_bytes) || o.min_class_bytes < sizeof(void*)) {
    throw std::invalid_argument(pool_error(name, "min_class_bytes", o.min_class_bytes,
                                           "is not a power of two >= sizeof(void*)"));
  }
  constexpr std::size_t kLargestClass = std::size_t{1} << 40;  // 1 TiB: no slab could hold more
  if (!power_of_two(o.max_class_bytes) || o.max_class_bytes < o.min_class_bytes ||
      o.max_class_bytes > kLargestClass) {
    throw std::invalid_argument(pool_error(
        name, "max_class_bytes", o.max_class_bytes,
        "is not a power of two in [min_class_bytes " + std::to_string(o.min_class_bytes) +
            ", " + std::to_string(kLargestClass) + "]"));
  }
  if (o.max_slab_bytes < o.first_slab_bytes) {
    throw std::invalid_argument(pool_error(name, "max_slab_bytes", o.max_slab_bytes,
                                           "< first_slab_bytes " +
                                               std::to_string(o.first_slab_bytes)));
  }
  if (upstream == nullptr) {
    throw std::invalid_argument("SizeClassPool(\"" + std::string(name) + "\"): upstream is null");
  }
  const auto count = static_cast<std::size_t>(std::countr_zero(o.max_class_bytes)) -
                     min_class_shift_ + 1;
  classes_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t chunk = o.min_class_bytes << i;
    const std::size_t first = std::max<std::size_t>(1, o.first_slab_bytes / chunk);
    const std::size_t cap = std::max(first, o.max_slab_bytes / chunk);
    classes_.emplace_back(chunk, std::min(chunk, kMaxChunkAlign), SlabGrowth{first, cap}, upstream);
  }
}

SizeClassPool::~SizeClassPool() = default;

void* SizeClassPool::allocate_large(std::size_t bytes, std::size_t align) {
  void* p = upstream_->allocate(bytes, align);
  ++large_allocations_;
  large_bytes_ += bytes;
  ++large_live_;
  large_live_bytes_ += bytes;
  return p;
}

void SizeClassPool::deallocate_large(void* p, std::size_t bytes, std::size_t align) noexcept {
  upstream_->deallocate(p, bytes, align);
  --large_live_;
  large_live_bytes_ -= bytes;
}

void SizeClassPool::reserve(std::size_t bytes, std::size_t chunks, std::size_t align) {
  const std::size_t i = class_index(bytes, align);
  if (i != kNoClass) classes_[i].reserve(chunks);
}

std::size_t SizeClassPool::release_idle_pages(std::size_t keep_bytes, std::size_t from_class_bytes) noexcept {
  std::size_t advised = 0;
  for (std::size_t i = 0; i < classes_.size(); ++i) {
    const std::size_t chunk = class_bytes(i);
    if (chunk < from_class_bytes) continue;
    const std::size_t keep = keep_bytes / chunk;
    const SlabFreeList::Released r = classes_[i].release_idle_pages(keep);
    keep_bytes -= std::min(r.free_slots, keep) * chunk;
    advised += r.bytes;
  }
  return advised;
}

SizeClassPoolTotals SizeClassPool::totals() const noexcept {
  SizeClassPoolTotals t;
  for (const SlabFreeList& c : classes_) {
    const SlotStats& s = c.stats();
    t.hits += s.hits;
    t.misses += s.misses;
    t.live += s.live;
    t.slabs += s.slabs;
    t.slab_bytes += s.slab_bytes;
  }
  t.live_bytes = live_bytes_;
  t.peak_live_bytes = peak_live_bytes_;
  t.large_allocations = large_allocations_;
  t.large_bytes = large_bytes_;
  t.large_live = large_live_;
  t.large_live_bytes = large_live_bytes_;
  return t;
}

}  // namespace wsalloc::memory
