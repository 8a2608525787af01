#pragma once
// containers.hpp: the std::pmr containers of the shared message pipeline.
//
// The malloc, arena and pool variants run ONE pipeline on these aliases; a variant only chooses the
// std::pmr::memory_resource behind each lifetime (see memory_plan.hpp). Same code, different memory:
// the comparison is honest by construction.
#include <bit>
#include <cstdint>
#include <memory_resource>
#include <string>
#include <unordered_map>
#include <vector>

namespace wsalloc::variants {

template <class T>
using Vector = std::pmr::vector<T>;
using String = std::pmr::string;
using Bytes = std::pmr::vector<uint8_t>;
template <class K, class V>
using Map = std::pmr::unordered_map<K, V>;

// Grows `v` to hold `more` elements beyond its size, to a power-of-two capacity. Plain doubling
// lands on capacities that depend on how a message was split across reads (first chunk 200000 B:
// 200000, 400000, 800000, ...), so which pool class or area block a message needs would vary
// from run to run; powers of two make it a function of the message size alone.
template <class V>
void grow_pow2(V& v, size_t more) {
  const size_t need = v.size() + more;
  if (need > v.capacity()) v.reserve(std::bit_ceil(need));
}

}  // namespace wsalloc::variants
