// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast generator whose whole state is one word, so a
// seed reproduces a bootstrap or a block order exactly on every machine and standard library
// (std::uniform_int_distribution is implementation-defined; this is not).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wsalloc::bench::compare {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) noexcept : state_(seed) {}

  uint64_t next() noexcept {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n), n > 0: the high word of a 64x64 product (Lemire). Its bias is below
  // n / 2^64, far under anything a bootstrap of a few thousand resamples can see.
  size_t below(size_t n) noexcept {
    return static_cast<size_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace wsalloc::bench::compare
