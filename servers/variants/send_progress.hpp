#pragma once
// send_progress.hpp: whether a connection's peer has stopped taking its replies (the
// --send-timeout-ms rule): replies have been queued for longer than the limit and the peer took
// no byte of them in that time.
//
// The clock starts when the connection opens, not at the epoch: on io_uring every reply is
// queued until the loop's next submit, so a timer sweep in the same iteration as a brand-new
// connection's first reply sees "unsent, nothing sent yet" and must not call that a stall.
#include <chrono>
#include <cstdint>

namespace wsalloc::variants {

class SendProgress {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SendProgress(Clock::time_point opened) noexcept : since_(opened) {}

  // unsent: bytes queued and not yet taken by the kernel; sent: bytes taken, ever (a counter
  // that only grows). Call at each sweep.
  bool stalled(Clock::time_point now, Clock::duration limit, uint64_t unsent, uint64_t sent) noexcept {
    if (unsent == 0 || sent != sent_at_check_) {
      sent_at_check_ = sent;
      since_ = now;
      return false;
    }
    return now - since_ > limit;
  }

 private:
  Clock::time_point since_;      // the last sweep that saw nothing queued or some progress
  uint64_t sent_at_check_ = 0;   // `sent` at that sweep
};

}  // namespace wsalloc::variants
