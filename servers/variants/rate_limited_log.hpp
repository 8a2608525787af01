#pragma once
// rate_limited_log.hpp: stderr lines for trouble that can repeat as fast as a loop spins (accept
// failing on a level-triggered listener, a connection refused for want of memory), at most one
// line per interval; the next line says how many were held back in between.
//
// Owner: one poller thread (no locks). Cost: a clock read per call; formatting only when a line
// is written.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include <fmt/core.h>

namespace wsalloc::variants {

class RateLimitedLog {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimitedLog(Clock::duration interval = std::chrono::seconds(1)) noexcept : interval_(interval) {}

  // Writes "<line> (<n> more like it held back)" when the interval since the last written line has
  // passed (the first call always writes); else only counts. Returns true when it wrote.
  template <class... Args>
  bool write(fmt::format_string<Args...> format, Args&&... args) {
    const auto now = Clock::now();
    if (written_ != 0 && now - last_ < interval_) {
      ++held_back_;
      return false;
    }
    std::string line = fmt::format(format, std::forward<Args>(args)...);
    if (held_back_ != 0) line += fmt::format(" ({} more like it held back)", held_back_);
    fmt::print(stderr, "{}\n", line);
    std::fflush(stderr);
    last_ = now;
    held_back_ = 0;
    ++written_;
    return true;
  }

  uint64_t written() const noexcept { return written_; }

 private:
  Clock::duration interval_;
  Clock::time_point last_{};
  uint64_t held_back_ = 0;
  uint64_t written_ = 0;
};

}  // namespace wsalloc::variants
