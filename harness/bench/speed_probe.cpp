#include "bench/speed_probe.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>

namespace wsalloc::bench {
namespace {

// About 1.5 ms here: long enough that timer resolution does not matter, short enough to take
// twice per run (a make bench adds about two seconds).
constexpr int kSyscalls = 1000;
constexpr int kRounds = 100'000;

double thread_cpu_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

}  // namespace

std::optional<double> probe_core_ms(int cpu) {
  cpu_set_t before;
  if (cpu < 0 || cpu >= CPU_SETSIZE || ::pthread_getaffinity_np(::pthread_self(), sizeof before, &before) != 0) return std::nullopt;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (::pthread_setaffinity_np(::pthread_self(), sizeof one, &one) != 0) return std::nullopt;
  ::sched_yield();  // let the move happen before the clock starts
  const double t0 = thread_cpu_ms();
  for (int i = 0; i < kSyscalls; ++i) ::syscall(SYS_getppid);  // not cached by glibc: a real kernel entry
  volatile uint64_t sink = 0;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < kRounds; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  sink = x;
  (void)sink;
  const double ms = thread_cpu_ms() - t0;
  ::pthread_setaffinity_np(::pthread_self(), sizeof before, &before);
  return ms;
}

std::optional<double> ProbeBaseline::slowdown(double ms) const {
  if (samples_.size() < kMinSamples) return std::nullopt;
  std::vector<double> s = samples_;
  std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(s.size() / 2), s.end());
  const double median = s[s.size() / 2];
  if (!(median > 0)) return std::nullopt;
  return ms / median;
}

}  // namespace wsalloc::bench
