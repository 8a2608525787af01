#pragma once
// cork.hpp: the zerocopy variant's per-loop output batch (uWS's "cork buffer").
//
// Owner: one poller thread. Replies for ONE connection are gathered here while its read event is
// processed, then written with one writev and the cork is empty again before the next connection
// is served (invariant checked by the pipeline). Small replies are copied in; large payloads that
// sit in the receive buffer are referenced by an iovec, not copied.
// Size: 64 KiB holds the replies to a full read of small pipelined messages; anything that does not
// fit triggers an early flush, never a reallocation (the buffer is allocated once, at start).
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <span>

namespace wsalloc::variants {

class Cork {
 public:
  static constexpr size_t kBytes = 64 * 1024;
  static constexpr size_t kMaxSegments = 64;

  Cork() : buf_(std::make_unique<uint8_t[]>(kBytes)) {}

  bool empty() const noexcept { return nsegs_ == 0; }
  size_t room() const noexcept { return kBytes - used_; }
  bool has_segments_for(size_t n) const noexcept { return nsegs_ + n <= kMaxSegments; }

  // Copies bytes in, extending the last segment when it is the cork's own tail.
  void copy(const void* data, size_t n) noexcept;
  // Reserves n bytes at the tail for the caller to fill (a frame header); same segment rules.
  uint8_t* reserve(size_t n) noexcept;
  // Gives back the last n bytes of the latest reserve() (room set aside for a compressed payload
  // that came out smaller). REQUIRES: nothing was added since that reserve(), n <= its size.
  void unreserve(size_t n) noexcept {
    used_ -= n;
    segs_[nsegs_ - 1].iov_len -= n;
    if (segs_[nsegs_ - 1].iov_len == 0) --nsegs_;
  }
  // References caller memory that stays valid until the next flush.
  void reference(const void* data, size_t n) noexcept {
    segs_[nsegs_++] = {const_cast<void*>(data), n};
  }

  std::span<const iovec> segments() const noexcept { return {segs_, nsegs_}; }
  void clear() noexcept {
    used_ = 0;
    nsegs_ = 0;
  }

 private:
  std::unique_ptr<uint8_t[]> buf_;
  size_t used_ = 0;
  iovec segs_[kMaxSegments];
  size_t nsegs_ = 0;
};

inline uint8_t* Cork::reserve(size_t n) noexcept {
  uint8_t* p = buf_.get() + used_;
  if (nsegs_ > 0 && static_cast<uint8_t*>(segs_[nsegs_ - 1].iov_base) + segs_[nsegs_ - 1].iov_len == p) {
    segs_[nsegs_ - 1].iov_len += n;
  } else {
    segs_[nsegs_++] = {p, n};
  }
  used_ += n;
  return p;
}

inline void Cork::copy(const void* data, size_t n) noexcept {
  if (n == 0) return;
  __builtin_memcpy(reserve(n), data, n);
}

}  // namespace wsalloc::variants
