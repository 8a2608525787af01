#include "bench/compare/block_schedule.hpp"

#include <utility>

namespace wsalloc::bench::compare {
namespace {

template <class T>
void shuffle(std::vector<T>& v, SplitMix64& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

}  // namespace

std::vector<PairOrder> balanced_pair_orders(size_t blocks, SplitMix64& rng) {
  std::vector<PairOrder> orders(blocks, PairOrder::ReferenceFirst);
  size_t target_first = blocks / 2;
  if (blocks % 2 == 1 && rng.below(2) == 1) ++target_first;
  for (size_t i = 0; i < target_first; ++i) orders[i] = PairOrder::TargetFirst;
  shuffle(orders, rng);
  return orders;
}

std::vector<size_t> random_order(size_t n, SplitMix64& rng) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  shuffle(order, rng);
  return order;
}

}  // namespace wsalloc::bench::compare
