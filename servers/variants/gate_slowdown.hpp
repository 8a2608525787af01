#pragma once
// gate_slowdown.hpp: a deliberate per-message slowdown, compiled in only for the gate's proof
// (tests/gate: -DWSALLOC_GATE_INJECT_SLOWDOWN=<variant>; off by default, and then this header adds
// nothing to any build). The A/B run must catch it every time.
//
// The cost is work, not time: a chain of dependent multiply-adds (each waits for the one before;
// the empty asm keeps the compiler from folding or vectorising it). Work scales with the CPU like
// the rest of a message does, so the relative slowdown is much the same on any machine; a sleep or
// a clock-based spin would not be. The first ~10 steps hide in the out-of-order window behind the
// message's other work (10 steps measured +1 %), so short chains prove nothing. On the gate's A/B
// workload (thresholds.toml [ab]: every message of a window in flight at once over 256
// connections; calibrated with windows of 1,024,000 messages) zerocopy's server CPU per message
// was 32.6-33.9 ns, and 33.1-33.6 with 10 steps, 40.8-41.6 with 20 and 49.9-54.1 with 30 (2 runs
// each, twice, interleaved; 2-core AMD EPYC development VM): 20 is the +25 % the gate must catch.
// The gate itself, with its 512,000-message windows, measured x1.253-1.298 in 20 runs
// (tests/gate/README.md). The malloc variant, costlier per message, would see less.
#include <cstdint>

namespace wsalloc::variants {

inline constexpr int kInjectedSteps = 20;

inline void injected_slowdown() noexcept {
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < kInjectedSteps; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;  // PCG's LCG step: cheap, never constant
    asm volatile("" : "+r"(x));
  }
}

}  // namespace wsalloc::variants
