#pragma once
// LoanPool: contiguous receive buffers for large frames, lent to one connection at a time.
//
// Why: provided buffers end where they end, so a 64 KiB or 1 MiB frame arrives in pieces, and
// parsing pieces means copying them together (and, for zerocopy, copying the reply again). A
// connection that sees the start of a large frame borrows one buffer the size of the frame,
// copies in what it already has, and receives the rest straight into it; the frame is then parsed
// in place and its echo sent from there (the send pins the loan).
//
// Owner: one poller thread. Memory: power-of-two size classes from 64 KiB up to kMaxBytes; a
// returned buffer waits in its class's free list for the next frame of that class, so steady
// state allocates nothing. Total lent at once is capped (kCapBytes): beyond it take() says no and
// the frame takes the piecewise path, so many peers announcing large frames cannot make the
// server allocate what they only announce.
// Lifetime: take() -> (receives into it, sends pinning it) -> give_back() by the borrower; the
// buffer is reused only when it is given back AND no pin is left. A buffer idle for a while gives
// its pages back to the kernel (trim_idle), so a burst of large frames does not stay in RSS.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "net/idle_pages.hpp"

namespace wsalloc::net {

class LoanPool {
 public:
  static constexpr size_t kMinBytes = size_t{64} << 10;
  static constexpr size_t kMaxBytes = size_t{2} << 20;   // frames up to 2 MiB (1 MiB echoes fit)
  static constexpr size_t kCapBytes = size_t{64} << 20;  // lent at once, per poller thread

  struct Loan {
    uint8_t* data;
    size_t size;  // >= the bytes asked for
    uint32_t id;
  };
  // nullopt: n > kMaxBytes, or lending it would pass kCapBytes.
  std::optional<Loan> take(size_t n);
  void give_back(uint32_t id) noexcept;
  // The loan holding [p, p+n), if `id`'s buffer holds it; a pinned loan is not reused.
  bool contains(uint32_t id, const void* p, size_t n) const noexcept;
  void pin(uint32_t id) noexcept { ++loans_[id].pins; }
  void unpin(uint32_t id) noexcept;

  void trim_idle(IdlePages::Clock::time_point now, IdlePages::Clock::duration idle) noexcept;
  size_t lent_bytes() const noexcept { return lent_bytes_; }
  size_t buffers() const noexcept { return loans_.size(); }
  uint64_t refused() const noexcept { return refused_; }

 private:
  struct Record {
    IdlePages bytes;
    size_t size = 0;
    uint32_t pins = 0;
    bool lent = false;
  };
  static size_t class_of(size_t n) noexcept;  // index into free_
  void recycle(uint32_t id) noexcept;

  std::vector<Record> loans_;
  std::vector<std::vector<uint32_t>> free_;  // per size class
  size_t lent_bytes_ = 0;  // counts a buffer from take() until it is reusable again
  uint64_t refused_ = 0;
};

}  // namespace wsalloc::net
