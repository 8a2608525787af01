#pragma once
// The zerocopy variant: its own pipeline (zerocopy_pipeline.hpp): in-place parsing, replies framed
// into the loop's cork, one writev per event. Its only per-connection memory is what a connection
// needs beyond the common case: a buffer for messages that arrive in pieces and a backlog for a
// peer that does not read; both keep their capacity.
#include <memory>
#include <string_view>

#include "variants/server_options.hpp"
#include "variants/server_variant.hpp"
#include "variants/zerocopy/zerocopy_pipeline.hpp"

namespace wsalloc::variants {

struct ZeroCopyVariant {
  static constexpr std::string_view kName = "zerocopy";
  static constexpr bool kPooledConnections = true;
  using Pipeline = ZeroCopyPipeline;
  static std::unique_ptr<ZeroCopyLoop> make_plan(const ServerOptions& o) {
    return std::make_unique<ZeroCopyLoop>(o.allocator == Allocator::Variant);
  }
};
static_assert(ServerVariant<ZeroCopyVariant>);

}  // namespace wsalloc::variants
