// Internal to wsalloc_alloc_scope: the calling thread's running totals, shared by the scope
// (alloc_scope.cpp reads them) and the replacements (alloc_scope_replace.cpp writes them).
// Running totals rather than per-scope counters make nesting free: a scope remembers where the
// totals stood when it opened.
#pragma once

#include <cstdint>

namespace wsalloc::malloccount::scope_detail {

struct ThreadCounts {
  uint64_t allocations;
  uint64_t bytes;
  uint64_t frees;
};

// Defined in alloc_scope_replace.cpp; referencing it from AllocScope's constructor is what links
// the replacements into every executable that uses AllocScope.
ThreadCounts& thread_counts() noexcept;

}  // namespace wsalloc::malloccount::scope_detail
