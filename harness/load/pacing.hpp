// Open-loop pacing arithmetic: a fixed schedule that never drifts and never "catches up" by
// quietly moving the timeline (which would hide a stall: coordinated omission).
//
// Message i of a stream is due at   start + floor(i * 1e9 / rate)   nanoseconds, computed exactly in
// integers: the rate is held in milli-messages per second (so rates are resolved to 0.001/s, from
// 0.001/s up to 10^9/s) and the product in unsigned __int128, so the schedule never drifts, however
// long the run.
//
// A send is "behind schedule" when it leaves more than `tolerance_ns` after its due time; that is
// wsload (or the connection's backpressure) failing to keep the schedule, and it is reported, because
// the latency of such a message still counts from its due time.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wsalloc::load {

class Schedule {
 public:
  // REQUIRES: 0.0005 <= rate_per_s <= 1e9 (rounds to at least 0.001/s). Throws std::invalid_argument
  // naming the rate otherwise (set-up time only).
  Schedule(uint64_t start_ns, double rate_per_s);

  uint64_t start_ns() const noexcept { return start_; }
  // Due time of message i (0-based).
  uint64_t due_time(uint64_t i) const noexcept {
    return start_ + static_cast<uint64_t>(static_cast<unsigned __int128>(i) * kNsPerSecMilli / rate_milli_);
  }
  // Number of messages due at or before now_ns: the n with due_time(n-1) <= now < due_time(n).
  uint64_t due_by(uint64_t now_ns) const noexcept;

 private:
  static constexpr uint64_t kNsPerSecMilli = 1'000'000'000'000ULL;  // 1e9 ns/s * 1000 milli/1
  uint64_t start_;
  uint64_t rate_milli_;  // messages per 1000 s
};

// How a total open-loop rate is split: each of `threads` workers gets a stream with the share of
// its connections, and its stream starts `thread_index / rate` seconds in, so the workers' sends
// interleave instead of landing together.
double thread_rate(double total_rate, size_t thread_conns, size_t total_conns) noexcept;
uint64_t thread_phase_ns(double total_rate, size_t thread_index) noexcept;

enum class Punctuality : uint8_t { OnTime, Behind };
inline Punctuality punctuality(uint64_t due_ns, uint64_t sent_ns, uint64_t tolerance_ns) noexcept {
  return sent_ns > due_ns && sent_ns - due_ns > tolerance_ns ? Punctuality::Behind : Punctuality::OnTime;
}

}  // namespace wsalloc::load
