// stats_json.cpp — field-by-field conversion; the key names are the struct field names.
#include "memory/stats_json.hpp"

namespace wsalloc::memory {

void to_json(nlohmann::json& j, const AreaStats& s) {
  j = nlohmann::json{{"bytes_in_use", s.bytes_in_use},
                     {"high_water", s.high_water},
                     {"resets", s.resets},
                     {"blocks", s.blocks},
                     {"overflow_fallbacks", s.overflow_fallbacks},
                     {"overflow_bytes", s.overflow_bytes},
                     {"allocations", s.allocations},
                     {"block_allocations", s.block_allocations}};
}

void to_json(nlohmann::json& j, const SlotStats& s) {
  j = nlohmann::json{{"hits", s.hits},   {"misses", s.misses}, {"live", s.live},
                     {"peak", s.peak},   {"slabs", s.slabs},   {"slots", s.slots},
                     {"slab_bytes", s.slab_bytes}};
}

void to_json(nlohmann::json& j, const SizeClassPoolTotals& s) {
  j = nlohmann::json{{"hits", s.hits},
                     {"misses", s.misses},
                     {"live", s.live},
                     {"slabs", s.slabs},
                     {"slab_bytes", s.slab_bytes},
                     {"live_bytes", s.live_bytes},
                     {"peak_live_bytes", s.peak_live_bytes},
                     {"large_allocations", s.large_allocations},
                     {"large_bytes", s.large_bytes},
                     {"large_live", s.large_live},
                     {"large_live_bytes", s.large_live_bytes}};
}

nlohmann::json stats_json(const Area& area) {
  nlohmann::json j = area.stats();
  j["kind"] = "area";
  j["name"] = area.name();
  j["block_bytes"] = area.block_bytes();
  j["max_blocks"] = area.max_blocks();
  return j;
}

nlohmann::json object_pool_json(std::string_view name, std::size_t slot_bytes, const SlotStats& s) {
  nlohmann::json j = s;
  j["kind"] = "object_pool";
  j["name"] = name;
  j["slot_bytes"] = slot_bytes;
  return j;
}

nlohmann::json stats_json(const SizeClassPool& pool) {
  nlohmann::json classes = nlohmann::json::array();
  for (std::size_t i = 0; i < pool.class_count(); ++i) {
    nlohmann::json c = pool.class_stats(i);
    c["class_bytes"] = pool.class_bytes(i);
    classes.push_back(std::move(c));
  }
  return nlohmann::json{{"kind", "size_class_pool"},
                        {"name", pool.name()},
                        {"totals", pool.totals()},
                        {"classes", std::move(classes)}};
}

}  // namespace wsalloc::memory
