// alloc_meter.hpp: Google Benchmark's MemoryManager on the in-process allocation counter
// (AllocScope): exact allocations per iteration in wsalloc-micro's output ("allocs_per_iter",
// "total_allocated_bytes" in the JSON).
//
//   AllocMeter meter;                        // one per process (AllocScope is the process's malloc)
//   benchmark::RegisterMemoryManager(&meter);
//   ...
//   static void BM_x(benchmark::State& state) {
//     Rig rig;                               // set-up: not counted
//     measured_loop(state, [&] { rig.feed(); });
//   }
//
// How benchmark 1.7.1 uses it: after the timed runs of a benchmark it calls Start(), runs the
// benchmark function once more for min(16, iterations) iterations, calls Stop(), and reports
// num_allocs / those iterations. The function's set-up (sessions, warm-up) runs inside that pass
// too, so Start()..Stop() would charge set-up to the iterations. measured_loop() therefore narrows
// the count to the loop itself: the window opens just before the first iteration and closes after
// the last. A memory pass whose benchmark did not use measured_loop() aborts with its name: a
// silently inflated count would be worse.
//
// Reported: num_allocs and total_allocated_bytes (requested sizes) over the window.
// Not measured: max_bytes_used and net_heap_growth (AllocScope keeps no peak and no freed sizes),
// reported as MemoryManager::TombstoneValue, never as 0 (1.7.1 still prints max_bytes_used, as
// 9223372036854775807; it leaves net_heap_growth out).
//
// NOTE 1.7.1 bug: the runner keeps each memory Result in a std::vector it grows per repetition while
// earlier runs hold pointers into it, so with --benchmark_repetitions > 1 the memory figures of all
// but the last repetition are read from freed memory. Measure allocations with one repetition;
// micro_main.cpp registers the meter only then.
// NOTE: Start()/Stop() and the loop must run on one thread (AllocScope counts the calling thread):
// true for benchmarks without ->Threads(n), which is all of wsalloc-micro's.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>

#include "malloccount/alloc_scope.hpp"

namespace wsalloc::micro {

class AllocMeter final : public benchmark::MemoryManager {
 public:
  AllocMeter() noexcept;
  ~AllocMeter() override;

  void Start() override;
  void Stop(Result* result) override;  // the overload 1.7.1 calls
  void Stop(Result& result) override { Stop(&result); }

  // The meter of the memory pass in progress, or nullptr (timed runs, or no meter registered).
  static AllocMeter* active() noexcept;
  void open_window() noexcept;
  void close_window() noexcept;

 private:
  struct Counts {
    uint64_t allocations = 0;
    uint64_t bytes = 0;
  };
  Counts now() const noexcept;

  std::optional<malloccount::AllocScope> scope_;
  std::optional<Counts> opened_;
  std::optional<Counts> closed_;
};

// Runs the benchmark loop, counting allocations only between its first and last iteration when a
// memory pass is in progress. `body` is one iteration.
template <class Body>
inline void measured_loop(benchmark::State& state, Body&& body) {
  AllocMeter* meter = AllocMeter::active();
  if (meter != nullptr) meter->open_window();
  for (auto _ : state) body();
  if (meter != nullptr) meter->close_window();
}

}  // namespace wsalloc::micro
