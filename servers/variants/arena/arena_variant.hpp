#pragma once
// The arena variant: the shared pmr pipeline (pmr_pipeline.hpp) on bump areas (arena_plan.hpp).
#include <memory>
#include <string_view>

#include "variants/arena/arena_plan.hpp"
#include "variants/pmr_pipeline.hpp"
#include "variants/server_options.hpp"
#include "variants/server_variant.hpp"

namespace wsalloc::variants {

struct ArenaVariant {
  static constexpr std::string_view kName = "arena";
  static constexpr bool kPooledConnections = true;
  using Pipeline = PmrPipeline;
  static std::unique_ptr<MemoryPlan> make_plan(const ServerOptions& o) {
    if (o.allocator == Allocator::Standard) return std::make_unique<StandardPlan>();
    return std::make_unique<ArenaPlan>();
  }
};
static_assert(ServerVariant<ArenaVariant>);

}  // namespace wsalloc::variants
