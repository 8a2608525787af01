#pragma once
// The pool variant: the shared pmr pipeline (pmr_pipeline.hpp) on a size-class pool
// (pool_plan.hpp); connection objects come from an object pool.
#include <memory>
#include <string_view>

#include "variants/pmr_pipeline.hpp"
#include "variants/pool/pool_plan.hpp"
#include "variants/server_options.hpp"
#include "variants/server_variant.hpp"

namespace wsalloc::variants {

struct PoolVariant {
  static constexpr std::string_view kName = "pool";
  static constexpr bool kPooledConnections = true;
  using Pipeline = PmrPipeline;
  static std::unique_ptr<MemoryPlan> make_plan(const ServerOptions& o) {
    if (o.allocator == Allocator::Standard) return std::make_unique<StandardPlan>();
    return std::make_unique<PoolPlan>();
  }
};
static_assert(ServerVariant<PoolVariant>);

}  // namespace wsalloc::variants
