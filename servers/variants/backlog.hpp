#pragma once
// backlog.hpp: a connection's unsent bytes, kept across events.
//
// Owner: one connection (its pipeline). Memory: a Bytes on the connection's resource; draining
// keeps the capacity, so a connection that is blocked again and again does not allocate per
// episode (steady state stays allocation-free). trim_if_idle(), called periodically (the worker's
// sweep, through the pipeline's trim_idle()), gives the capacity back once the backlog has drained
// and stayed small for a whole period: without it a connection that was slow once kept its grown
// buffer (in the pool variant up to a 32 MiB chunk) until it closed. That is the only way capacity
// goes back before the connection closes.
// Cost: append() is a copy of n bytes, plus a memmove of the unsent bytes when consumed bytes in
// front are in the way, plus a doubling of the capacity when it is too small (amortised O(1) per
// byte); consume() and front() O(1); trim_if_idle() O(1) plus one deallocate.
// Invalidation: append(), consume() and trim_if_idle() invalidate spans from front().
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
    if (size() > peak_) peak_ = size();
  }

  void consume(size_t n) noexcept {
    head_ += n;
    if (head_ == bytes_.size()) {  // drained: rewind, keep the capacity
      bytes_.clear();
      head_ = 0;
    }
  }

  // Capacity up to this is kept whatever happens: too little to matter, and regrowing it would
  // cost allocations for nothing.
  static constexpr size_t kKeepBytes = 64 * 1024;

  // Hysteresis: releases the capacity when the backlog is empty now, holds more than kKeepBytes,
  // and used at most a quarter of it since the previous call. So a connection blocked in every
  // period keeps its buffer, and one that recovered gives it back within two periods. Returns the
  // bytes released (0: kept).
  size_t trim_if_idle() {
    const size_t peak = peak_;
    peak_ = size();
    const size_t capacity = bytes_.capacity();
    if (!empty() || capacity <= kKeepBytes || peak > capacity / 4) return 0;
    release();
    return capacity;
  }

 private:
  // REQUIRES: empty() (only trim_if_idle() calls it).
  void release() {
    Bytes empty(bytes_.get_allocator());
    bytes_.swap(empty);
    head_ = 0;
  }

  Bytes bytes_;
  size_t head_ = 0;
  size_t peak_ = 0;  // the largest size() since the last trim_if_idle()
};

}  // namespace wsalloc::variants
