// AllocScope: the allocation counter's in-process twin, for tests that assert exact numbers.
//
//   wsalloc::malloccount::AllocScope scope;
//   parser.feed(bytes);                      // code under test
//   EXPECT_EQ(scope.allocations(), 0u);      // read before EXPECT: a failing EXPECT allocates
//
// Counts what the CURRENT THREAD allocates from construction until each query (a query while the
// scope is alive; after destruction the object is gone). Scopes nest: an outer scope also sees
// what an inner one saw. Other threads' allocations never show.
//
// What counts (the same rules as the LD_PRELOAD counter, see counters.hpp):
//   allocations()  blocks handed out: malloc, calloc, realloc with a non-zero size, aligned_alloc,
//                  posix_memalign, memalign, valloc, pvalloc, every operator new / new[] (plain,
//                  nothrow, aligned) that succeeds.
//   bytes()        the sizes requested by those calls (an aligned new counts its size, not the
//                  alignment padding; the preload counter sees libstdc++'s rounded-up size instead).
//   frees()        free / every operator delete / delete[] of a non-null pointer, realloc(p, 0), and
//                  the old block of a successful realloc.
//
// How: linking wsalloc_alloc_scope REPLACES malloc, free, calloc, realloc, reallocarray,
// aligned_alloc, posix_memalign, memalign, valloc, pvalloc and the whole replaceable global
// operator new/delete family for the executable, forwarding to glibc's __libc_* functions and
// adding to thread_local counters. AllocScope's constructor calls a function defined next to the
// replacements, so using AllocScope is what makes the linker pull them in; an executable that
// links the library without constructing an AllocScope keeps glibc's malloc.
// In a sanitizer build (ASan) nothing is replaced: ASan owns malloc, so the counters are fed by
// ASan's allocation hooks instead (same rules; ASan's realloc always moves, which the rules
// already count as one allocation and one free).
//
// NOTE: one test executable per process can use it (it is the process's malloc), and it must not
// be combined with LD_PRELOAD=libwsalloc-malloccount.so: the executable's definitions win and the
// preload library would count nothing.
#pragma once

#include <cstdint>

namespace wsalloc::malloccount {

class AllocScope {
 public:
  AllocScope() noexcept;
  ~AllocScope();
  AllocScope(const AllocScope&) = delete;
  AllocScope& operator=(const AllocScope&) = delete;

  uint64_t allocations() const noexcept;
  uint64_t bytes() const noexcept;
  uint64_t frees() const noexcept;

 private:
  uint64_t allocations_at_start_;
  uint64_t bytes_at_start_;
  uint64_t frees_at_start_;
};

}  // namespace wsalloc::malloccount
