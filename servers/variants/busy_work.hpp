#pragma once
// busy_work.hpp: burns a fixed amount of this thread's CPU time — the /work handler's cost.
// Measured on CLOCK_THREAD_CPUTIME_ID, so time spent descheduled on a noisy machine does not count.
#include <time.h>

#include <chrono>

namespace wsalloc::variants {

inline void burn_cpu(std::chrono::microseconds cost) {
  auto now = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  };
  const int64_t until = now() + cost.count() * 1000;
  volatile uint64_t sink = 0;
  while (now() < until)
    for (int i = 0; i < 64; ++i) sink = sink + static_cast<uint64_t>(i);
}

}  // namespace wsalloc::variants
