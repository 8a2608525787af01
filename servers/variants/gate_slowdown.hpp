#pragma once
// gate_slowdown.hpp: a deliberate per-message slowdown, compiled in only for the gate's proof
// (tests/gate: -DWSALLOC_GATE_INJECT_SLOWDOWN=<variant>; off by default, and then this header adds
// nothing to any build). The A/B run must catch it every time.
//
// The cost is work, not time: a chain of dependent multiply-adds (each waits for the one before;
// the empty asm keeps the compiler from folding or vectorising it). Work scales with the CPU like
// the rest of a message does, so the relative slowdown is much the same on any machine; a sleep or
// a clock-based spin would not be. The first ~30 steps hide in the out-of-order window behind the
// message's other work (20 steps measured +0 %), so short chains prove nothing. On the gate's A/B
// workload (thresholds.toml [ab], 64 connections x 32 in flight) zerocopy's server CPU per message
// rose by x1.30-1.36 with 100 steps (6 runs), x1.18-1.23 with 80 (4 runs) and x1.18-1.26, median
// x1.245, with 90 (6 runs), on the 2-core AMD EPYC development VM at load 7-10: 90 is the +25 %
// the gate must catch (tests/gate/README.md). The malloc variant, costlier per message, would see less.
#include <cstdint>

namespace wsalloc::variants {

inline constexpr int kInjectedSteps = 90;

inline void injected_slowdown() noexcept {
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < kInjectedSteps; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;  // PCG's LCG step: cheap, never constant
    asm volatile("" : "+r"(x));
  }
}

}  // namespace wsalloc::variants
