// The order of measurements inside blocks (comparison.hpp): random, so that nothing which drifts
// with time or position (a warming page cache, a neighbour's build starting, the second of two
// back-to-back runs) lines up with one target.
//
// Two targets (an A/B): each block measures A and B back to back, AB or BA. Exactly half the blocks
// are AB and half BA (an odd count gets one extra, chosen at random), in a random sequence, so a
// constant "second run is cheaper" effect cancels in the mean of log ratios instead of biasing it.
// More targets: a fresh random permutation per block.
//
// Deterministic given the generator's seed.
#pragma once

#include <cstddef>
#include <vector>

#include "bench/compare/split_mix.hpp"

namespace wsalloc::bench::compare {

enum class PairOrder : unsigned char { ReferenceFirst, TargetFirst };

// `blocks` orders, half of each (balanced), shuffled.
std::vector<PairOrder> balanced_pair_orders(size_t blocks, SplitMix64& rng);

// A random permutation of 0..n-1 (Fisher-Yates).
std::vector<size_t> random_order(size_t n, SplitMix64& rng);

}  // namespace wsalloc::bench::compare
