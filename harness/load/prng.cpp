#include "load/prng.hpp"

#include <atomic>
#include <random>

namespace wsalloc::load {

uint64_t fresh_seed() noexcept {
  try {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  } catch (...) {
    // No entropy device: still distinct per call, which is all load generation needs.
    static std::atomic<uint64_t> counter{0x9e3779b97f4a7c15ULL};
    return counter.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed);
  }
}

}  // namespace wsalloc::load
