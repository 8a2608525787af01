// InFlightQueue: one connection's messages from scheduling to echo, in sequence order.
//
//   [0, written)      sent (wholly in the write buffer or on the wire), waiting for their echo
//   [written, size)   scheduled by the open-loop clock but not yet written (backpressure, or the
//                     connection is reconnecting); their latency still counts from `due_ns`
// Sequence numbers are consecutive: entry k has seq front().seq + k, which is what lets the verifier
// resolve a skipped (dropped) message arithmetically.
//
// Memory: a power-of-two ring, grown by doubling when full (amortised, never on the steady-state
// path once the working set is reached); capacity() only grows. clear() keeps the storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wsalloc::load {

struct InFlight {
  uint64_t seq;
  uint64_t due_ns;   // open loop: the intended send time; closed loop: the actual send time
};

class InFlightQueue {
 public:
  explicit InFlightQueue(size_t initial_capacity = 16) { ring_.resize(round_up(initial_capacity)); mask_ = ring_.size() - 1; }

  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  size_t written() const noexcept { return written_; }
  size_t pending() const noexcept { return size_ - written_; }
  size_t capacity() const noexcept { return ring_.size(); }

  InFlight& at(size_t k) noexcept { return ring_[(head_ + k) & mask_]; }
  const InFlight& at(size_t k) const noexcept { return ring_[(head_ + k) & mask_]; }
  InFlight& front() noexcept { return at(0); }

  void push(InFlight e) {
    if (size_ == ring_.size()) grow();
    ring_[(head_ + size_) & mask_] = e;
    ++size_;
  }
  // Marks the first pending entry as written.
  void mark_written() noexcept { ++written_; }
  // Removes n written entries from the front (an echo arrived, or they are declared missing).
  void pop(size_t n = 1) noexcept {
    head_ = (head_ + n) & mask_;
    size_ -= n;
    written_ -= n;
  }
  void clear() noexcept { head_ = size_ = written_ = 0; }
  // Pending entries become unwritten again (a reconnect lost what the write buffer held): used
  // only when nothing written remains.
  void unwrite_all() noexcept { written_ = 0; }

 private:
  static size_t round_up(size_t n) { size_t c = 1; while (c < n) c <<= 1; return c; }
  void grow() {
    std::vector<InFlight> bigger(ring_.size() * 2);
    for (size_t k = 0; k < size_; ++k) bigger[k] = at(k);
    ring_.swap(bigger);
    mask_ = ring_.size() - 1;
    head_ = 0;
  }

  std::vector<InFlight> ring_;
  size_t mask_ = 0;
  size_t head_ = 0;
  size_t size_ = 0;
  size_t written_ = 0;
};

}  // namespace wsalloc::load
