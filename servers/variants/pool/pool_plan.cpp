#include "variants/pool/pool_plan.hpp"

#include "memory/stats_json.hpp"

namespace wsalloc::variants {

PoolPlan::PoolPlan() : pool_("pipeline", memory::SizeClassPoolOptions{.max_class_bytes = size_t{32} << 20}) {}

void PoolPlan::trim_idle() noexcept { pool_.release_idle_pages(kIdlePoolKeepBytes); }

std::string PoolPlan::stats_json() const {
  nlohmann::json j;
  j["plan"] = "pool";
  j["pipeline"] = memory::stats_json(pool_);
  return j.dump();
}

}  // namespace wsalloc::variants
