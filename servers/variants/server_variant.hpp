#pragma once
// server_variant.hpp: what a memory variant is to the server, checked by the compiler (a
// static_assert in each variant's header, and Worker's template parameter).
//
// ServerVariant V (malloc/malloc_variant.hpp, arena/arena_variant.hpp, pool/pool_variant.hpp,
// zerocopy/zerocopy_variant.hpp):
//   kName               the name --variant and every report use.
//   kPooledConnections  connection objects come from an ObjectPool (with --allocator variant).
//   Pipeline            a MessagePipeline (pipeline.hpp): where a message and its replies live.
//   make_plan(options)  one per poller thread, at start (allocates): the Pipeline's Plan.
#include <concepts>
#include <memory>
#include <string_view>

#include "variants/pipeline.hpp"
#include "variants/server_options.hpp"

namespace wsalloc::variants {

template <class V>
concept ServerVariant = MessagePipeline<typename V::Pipeline> && requires(const ServerOptions& options) {
  { V::kName } -> std::convertible_to<std::string_view>;
  { V::kPooledConnections } -> std::convertible_to<bool>;
  { V::make_plan(options) } -> std::convertible_to<std::unique_ptr<typename V::Pipeline::Plan>>;
};

}  // namespace wsalloc::variants
