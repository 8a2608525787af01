// callgrind_bracket.hpp: the callgrind client requests wsalloc-instr uses, in one place.
//
// wsalloc-instr runs under `valgrind --tool=callgrind --collect-atstart=no --instr-atstart=no`:
// nothing is instrumented or counted until the program asks. Outside valgrind every request is a
// no-op (a few register moves), so the same code runs natively.
//
//   CountedRegion region;        // instrumentation on, collection on
//   workload.run(n);             //   may contain UncountedSection { harness-only work }
//   (region ends)                // collection off, instrumentation off
#pragma once

#include <valgrind/callgrind.h>

namespace wsalloc::micro {

// The measured region. Turning instrumentation on discards valgrind's translations (slow, once);
// toggling collection is cheap, which is why UncountedSection toggles collection only.
class CountedRegion {
 public:
  CountedRegion() noexcept {
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_TOGGLE_COLLECT;
  }
  ~CountedRegion() {
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_STOP_INSTRUMENTATION;
  }
  CountedRegion(const CountedRegion&) = delete;
  CountedRegion& operator=(const CountedRegion&) = delete;
};

// Harness work inside a counted region that must not count (refilling a receive buffer). The two
// toggles leave a constant few instructions per use in the count. Used outside a counted region
// (warm-up, native runs) it toggles twice: the collection state ends where it began.
class UncountedSection {
 public:
  UncountedSection() noexcept { CALLGRIND_TOGGLE_COLLECT; }
  ~UncountedSection() { CALLGRIND_TOGGLE_COLLECT; }
  UncountedSection(const UncountedSection&) = delete;
  UncountedSection& operator=(const UncountedSection&) = delete;
};

}  // namespace wsalloc::micro
