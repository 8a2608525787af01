// stats_json.hpp — the memory statistics as JSON, for GET /stats and the exit report.
//
// One object per resource, all keys snake_case, all values measured counters (never derived):
//   Area:          {"kind":"area","name","block_bytes","max_blocks", + every AreaStats field}
//   ObjectPool<T>: {"kind":"object_pool","name","slot_bytes", + every SlotStats field}
//   SizeClassPool: {"kind":"size_class_pool","name","totals":{SizeClassPoolTotals},
//                   "classes":[{"class_bytes", + SlotStats}, ...]}  (every class, smallest first)
// The stats structs also convert on their own (`nlohmann::json j = area.stats();`) through the
// to_json overloads below, found by argument-dependent lookup.
#pragma once

#include <nlohmann/json.hpp>

#include "memory/area.hpp"
#include "memory/object_pool.hpp"
#include "memory/size_class_pool.hpp"
#include "memory/slab_free_list.hpp"

namespace wsalloc::memory {

void to_json(nlohmann::json& j, const AreaStats& s);
void to_json(nlohmann::json& j, const SlotStats& s);
void to_json(nlohmann::json& j, const SizeClassPoolTotals& s);

nlohmann::json stats_json(const Area& area);
nlohmann::json stats_json(const SizeClassPool& pool);
// The non-template half of stats_json(ObjectPool<T>).
nlohmann::json object_pool_json(std::string_view name, std::size_t slot_bytes, const SlotStats& s);

template <class T>
nlohmann::json stats_json(const ObjectPool<T>& pool) {
  return object_pool_json(pool.name(), ObjectPool<T>::kSlotBytes, pool.stats());
}

}  // namespace wsalloc::memory
