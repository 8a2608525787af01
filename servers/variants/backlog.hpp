#pragma once
// backlog.hpp: a connection's unsent bytes, kept across events.
//
// Owner: one connection. Memory: a Bytes on the connection's resource; clear() keeps the capacity,
// so a connection that was blocked once does not allocate again when it is blocked again (steady
// state stays allocation-free). release() gives the capacity back (used when a connection goes idle
// or closes). Invalidation: append() and consume() invalidate spans from front().
#include <cstring>
#include <span>

#include "variants/containers.hpp"

namespace wsalloc::variants {

class Backlog {
 public:
  explicit Backlog(std::pmr::memory_resource* r) : bytes_(r) {}

  bool empty() const noexcept { return head_ == bytes_.size(); }
  size_t size() const noexcept { return bytes_.size() - head_; }
  size_t capacity() const noexcept { return bytes_.capacity(); }
  std::span<const uint8_t> front() const noexcept { return {bytes_.data() + head_, size()}; }

  void append(const void* data, size_t n) {
    // Compact before growing: consumed bytes in front are dead weight.
    if (head_ > 0 && bytes_.size() + n > bytes_.capacity()) {
      std::memmove(bytes_.data(), bytes_.data() + head_, size());
      bytes_.resize(size());
      head_ = 0;
    }
    const auto* p = static_cast<const uint8_t*>(data);
    grow_pow2(bytes_, n);
    bytes_.insert(bytes_.end(), p, p + n);
  }

  void consume(size_t n) noexcept {
    head_ += n;
    if (head_ == bytes_.size()) {  // drained: rewind, keep the capacity
      bytes_.clear();
      head_ = 0;
    }
  }

  void release() {
    Bytes empty(bytes_.get_allocator());
    bytes_.swap(empty);
    head_ = 0;
  }

 private:
  Bytes bytes_;
  size_t head_ = 0;
};

}  // namespace wsalloc::variants
