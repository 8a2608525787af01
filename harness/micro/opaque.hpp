// opaque.hpp: compiler barriers for fixed-work loops that do not use Google Benchmark (its
// DoNotOptimize/ClobberMemory do the same job in wsalloc-micro).
//
// Without them, a loop that parses the same constant header N times may be folded into one parse
// (the input is loop-invariant), and the instruction count would measure nothing.
#pragma once

namespace wsalloc::micro {

// After this, the compiler must assume `p` changed and that the memory behind any pointer was read
// and written: work on *p is redone every iteration. Costs no instruction.
template <class T>
inline void launder_pointer(T*& p) noexcept {
  asm volatile("" : "+r"(p) : : "memory");
}

}  // namespace wsalloc::micro
