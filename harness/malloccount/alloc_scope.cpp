#include "malloccount/alloc_scope.hpp"

#include "malloccount/alloc_scope_counts.hpp"

namespace wsalloc::malloccount {

AllocScope::AllocScope() noexcept {
  const scope_detail::ThreadCounts& now = scope_detail::thread_counts();
  allocations_at_start_ = now.allocations;
  bytes_at_start_ = now.bytes;
  frees_at_start_ = now.frees;
}

AllocScope::~AllocScope() = default;

uint64_t AllocScope::allocations() const noexcept { return scope_detail::thread_counts().allocations - allocations_at_start_; }
uint64_t AllocScope::bytes() const noexcept { return scope_detail::thread_counts().bytes - bytes_at_start_; }
uint64_t AllocScope::frees() const noexcept { return scope_detail::thread_counts().frees - frees_at_start_; }

}  // namespace wsalloc::malloccount
