#pragma once
// containers.hpp: the std::pmr containers of the shared message pipeline.
//
// The malloc, arena and pool variants run ONE pipeline on these aliases; a variant only chooses the
// std::pmr::memory_resource behind each lifetime (see memory_plan.hpp). Same code, different memory:
// the comparison is honest by construction.
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

}  // namespace wsalloc::variants
