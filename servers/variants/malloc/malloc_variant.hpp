#pragma once
// The malloc variant: the shared pmr pipeline on std::pmr::new_delete_resource() — every frame
// vector, message string, response vector and send-queue node from the global heap. The honest
// "before" picture; its allocations per message are measured, never faked.
#include <memory>
#include <string_view>

#include "variants/memory_plan.hpp"
#include "variants/pmr_pipeline.hpp"
#include "variants/server_options.hpp"
#include "variants/server_variant.hpp"

namespace wsalloc::variants {

struct MallocVariant {
  static constexpr std::string_view kName = "malloc";
  static constexpr bool kPooledConnections = false;  // connections from new/delete, like the rest
  using Pipeline = PmrPipeline;
  static std::unique_ptr<MemoryPlan> make_plan(const ServerOptions&) { return std::make_unique<StandardPlan>(); }
};
static_assert(ServerVariant<MallocVariant>);

}  // namespace wsalloc::variants
