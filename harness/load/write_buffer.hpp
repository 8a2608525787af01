// WriteBuffer: one connection's outgoing bytes, built in place and sent with one send() per flush.
//
// Owner: the connection; the storage is allocated once (capacity fixed at construction) and never
// grows, so the per-message path does not allocate.
// Invalidation: reserve() may move the unsent bytes to the front (memmove) and so invalidates
// pointers from earlier reserve()/unsent() calls; commit() and consume() invalidate nothing.
// At the limit: reserve(n) returns nullptr when n bytes do not fit even after compaction; the caller
// keeps the message pending and retries after the next flush.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace wsalloc::load {

class WriteBuffer {
 public:
  WriteBuffer() = default;
  explicit WriteBuffer(size_t capacity) : buf_(capacity) {}

  size_t capacity() const noexcept { return buf_.size(); }
  bool empty() const noexcept { return head_ == tail_; }
  size_t unsent_bytes() const noexcept { return tail_ - head_; }
  std::span<const uint8_t> unsent() const noexcept { return {buf_.data() + head_, tail_ - head_}; }

  uint8_t* reserve(size_t n) noexcept {
    if (buf_.size() - tail_ >= n) return buf_.data() + tail_;
    if (buf_.size() - (tail_ - head_) < n) return nullptr;
    std::memmove(buf_.data(), buf_.data() + head_, tail_ - head_);  // only after a short send
    tail_ -= head_;
    head_ = 0;
    ++moves_;
    return buf_.data() + tail_;
  }
  // Where the next reserve() would write when it does not move data: the offset from the start.
  size_t tail_offset() const noexcept { return tail_; }
  // Bumped by every compaction: memory contents at a given offset are no longer what was written there.
  uint64_t moves() const noexcept { return moves_; }
  void commit(size_t n) noexcept { tail_ += n; }
  void consume(size_t n) noexcept {
    head_ += n;
    if (head_ == tail_) head_ = tail_ = 0;  // the common case: everything went out
  }
  void clear() noexcept { head_ = tail_ = 0; }

 private:
  std::vector<uint8_t> buf_;
  size_t head_ = 0;
  size_t tail_ = 0;
  uint64_t moves_ = 0;
};

}  // namespace wsalloc::load
