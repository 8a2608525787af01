#include "net/idle_pages.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>
#include <utility>

namespace wsalloc::net {
namespace {
constexpr size_t kPage = 4096;
}

IdlePages::IdlePages(size_t bytes) : bytes_((bytes + kPage - 1) & ~(kPage - 1)) {
  p_ = static_cast<uint8_t*>(std::aligned_alloc(kPage, bytes_));
  if (p_ == nullptr) throw std::bad_alloc();
}

IdlePages::~IdlePages() { std::free(p_); }

IdlePages::IdlePages(IdlePages&& o) noexcept
    : p_(std::exchange(o.p_, nullptr)), bytes_(std::exchange(o.bytes_, 0)), last_used_(o.last_used_),
      resident_(o.resident_) {}

IdlePages& IdlePages::operator=(IdlePages&& o) noexcept {
  if (this != &o) {
    std::free(p_);
    p_ = std::exchange(o.p_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
    last_used_ = o.last_used_;
    resident_ = o.resident_;
  }
  return *this;
}

void IdlePages::trim_if_idle(Clock::time_point now, Clock::duration idle) noexcept {
  if (!resident_ || now - last_used_ <= idle) return;
  // Page-aligned and a whole number of pages: the heap's own bookkeeping is outside it.
  ::madvise(p_, bytes_, MADV_DONTNEED);
  resident_ = false;
}

}  // namespace wsalloc::net
