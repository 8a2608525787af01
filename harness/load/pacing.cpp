#include "load/pacing.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace wsalloc::load {

Schedule::Schedule(uint64_t start_ns, double rate_per_s) : start_(start_ns) {
  if (!(rate_per_s >= 0.0005) || !(rate_per_s <= 1e9)) {
    throw std::invalid_argument("schedule rate " + std::to_string(rate_per_s) + " msgs/s: outside 0.001 .. 1e9");
  }
  rate_milli_ = static_cast<uint64_t>(std::llround(rate_per_s * 1000.0));
}

uint64_t Schedule::due_by(uint64_t now_ns) const noexcept {
  if (now_ns < start_) return 0;
  // due_time(i) <= now  <=>  i * 1e12 / r < elapsed + 1  <=>  i < (elapsed + 1) * r / 1e12, so the
  // count is ceil((elapsed + 1) * r / 1e12).
  const unsigned __int128 x = static_cast<unsigned __int128>(now_ns - start_ + 1) * rate_milli_;
  uint64_t n = static_cast<uint64_t>((x + kNsPerSecMilli - 1) / kNsPerSecMilli);
  // Belt and braces: settle it against due_time() itself, so the two can never disagree.
  while (n > 0 && due_time(n - 1) > now_ns) --n;
  while (due_time(n) <= now_ns) ++n;
  return n;
}

double thread_rate(double total_rate, size_t thread_conns, size_t total_conns) noexcept {
  if (total_conns == 0) return 0;
  return total_rate * static_cast<double>(thread_conns) / static_cast<double>(total_conns);
}

uint64_t thread_phase_ns(double total_rate, size_t thread_index) noexcept {
  if (!(total_rate > 0)) return 0;
  return static_cast<uint64_t>(static_cast<double>(thread_index) * 1e9 / total_rate);
}

}  // namespace wsalloc::load
