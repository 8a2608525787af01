// tool_hooks.cpp — the out-of-line halves of tool_hooks.hpp.
#include "memory/tool_hooks.hpp"

#include <cstdio>
#include <cstdlib>

#if WSALLOC_HEAPTRACK_ANNOTATE
// dlsym mode: this library is linked statically into executables, where heaptrack's default
// weak-symbol mode cannot see the preloaded functions (see heaptrack_api.h). This header defines
// heaptrack_init_api() without `inline`, hence one including file only.
#define HEAPTRACK_API_DLSYM 1
#include <heaptrack_api.h>
#endif

namespace wsalloc::memory::hooks {

#if WSALLOC_HEAPTRACK_ANNOTATE
namespace {
// heaptrack_init_api() writes a plain static flag; running it once under a magic static makes the
// later calls (which only read the flag) race-free across poller threads.
void init_once() noexcept {
  static const bool initialised = (heaptrack_init_api(), true);
  (void)initialised;
}
}  // namespace

void heaptrack_alloc(const void* p, std::size_t n) noexcept {
  init_once();
  heaptrack_report_alloc(const_cast<void*>(p), n);
}

void heaptrack_free(const void* p) noexcept {
  init_once();
  heaptrack_report_free(const_cast<void*>(p));
}
#endif

void fail(std::string_view what) noexcept {
  std::fprintf(stderr, "wsalloc memory: %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace wsalloc::memory::hooks
