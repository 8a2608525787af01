// libwsalloc-malloccount.so, part 2 of 2: the interposed allocation functions.
//
// Each one forwards to glibc's own entry point (__libc_malloc & co., exported for exactly this),
// so there is no dlsym and no recursion, and counts into this thread's shard (preload_state.hpp):
// per malloc 4 plain relaxed load/store adds, no lock prefix, no lock, no allocation, errno untouched.
// Built with -fno-builtin (the compiler must not treat these definitions as the builtins they
// replace) and initial-exec TLS (a preloaded library is in the static TLS block; the general model
// could call __tls_get_addr, which may allocate).
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <malloc.h>

#include "malloccount/preload_state.hpp"

#define WSALLOC_EXPORT __attribute__((visibility("default")))

extern "C" {
void* __libc_malloc(size_t n) noexcept;
void* __libc_calloc(size_t n, size_t m) noexcept;
void* __libc_realloc(void* p, size_t n) noexcept;
void __libc_free(void* p) noexcept;
void* __libc_memalign(size_t alignment, size_t n) noexcept;
void* __libc_valloc(size_t n) noexcept;
void* __libc_pvalloc(size_t n) noexcept;
}

namespace wsalloc::malloccount::preload {

__thread CounterFile* t_file __attribute__((tls_model("initial-exec"))) = nullptr;
__thread CounterShard* t_shard __attribute__((tls_model("initial-exec"))) = nullptr;
__thread bool t_exclusive __attribute__((tls_model("initial-exec"))) = false;

void claim_shard(CounterFile* file) noexcept {
  uint64_t n = file->header.shard_claims.fetch_add(1, std::memory_order_relaxed);
  if (n < kExclusiveShards) {
    t_shard = &file->shards[n];
    t_exclusive = true;
  } else {
    t_shard = &file->shards[kExclusiveShards + (n - kExclusiveShards) % kSharedShards];
    t_exclusive = false;
  }
  t_file = file;
}

namespace {

// A call that hands out a block (result != nullptr) or fails.
inline void count_alloc(Family f, size_t bytes, const void* result) noexcept {
  const MyShard my = my_shard();
  FamilyCounters& fam = my.family(f);
  my.add(fam.calls, 1);
  my.add(fam.bytes, bytes);
  if (result != nullptr) {
    my.add(my.shard.allocations, 1);
    my.add(my.shard.bytes_allocated, bytes);
  } else {
    my.add(my.shard.failed, 1);
  }
}

// realloc(old, n) -> result, glibc semantics: old == nullptr is malloc(n); n == 0 frees old and
// returns nullptr; otherwise a success replaces old by a block of n bytes (one allocation and one
// free, moved or not) and a failure leaves old alone.
inline void count_realloc(const void* old, size_t bytes, const void* result) noexcept {
  const MyShard my = my_shard();
  FamilyCounters& fam = my.family(Family::Realloc);
  my.add(fam.calls, 1);
  my.add(fam.bytes, bytes);
  if (old != nullptr && bytes == 0) {
    my.add(my.shard.frees, 1);
  } else if (result != nullptr) {
    my.add(my.shard.allocations, 1);
    my.add(my.shard.bytes_allocated, bytes);
    if (old != nullptr) my.add(my.shard.frees, 1);
  } else {
    my.add(my.shard.failed, 1);
  }
}

constexpr bool valid_posix_alignment(size_t a) noexcept {
  return a != 0 && (a & (a - 1)) == 0 && a % sizeof(void*) == 0;
}

}  // namespace
}  // namespace wsalloc::malloccount::preload

using namespace wsalloc::malloccount;
using namespace wsalloc::malloccount::preload;

extern "C" {

WSALLOC_EXPORT void* malloc(size_t n) noexcept {
  void* p = __libc_malloc(n);
  count_alloc(Family::Malloc, n, p);
  return p;
}

WSALLOC_EXPORT void free(void* p) noexcept {
  const MyShard my = my_shard();
  my.add(my.family(Family::Free).calls, 1);
  if (p != nullptr) my.add(my.shard.frees, 1);
  __libc_free(p);
}

WSALLOC_EXPORT void* calloc(size_t n, size_t m) noexcept {
  size_t bytes = 0;
  if (__builtin_mul_overflow(n, m, &bytes)) bytes = 0;  // glibc fails it with ENOMEM; counted as failed
  void* p = __libc_calloc(n, m);
  count_alloc(Family::Calloc, bytes, p);
  return p;
}

WSALLOC_EXPORT void* realloc(void* old, size_t n) noexcept {
  void* p = __libc_realloc(old, n);
  count_realloc(old, n, p);
  return p;
}

// glibc's own reallocarray calls its internal realloc directly, so without this one the calls
// would escape counting.
WSALLOC_EXPORT void* reallocarray(void* old, size_t n, size_t m) noexcept {
  size_t bytes = 0;
  if (__builtin_mul_overflow(n, m, &bytes)) {
    const MyShard my = my_shard();
    my.add(my.family(Family::Realloc).calls, 1);
    my.add(my.shard.failed, 1);
    errno = ENOMEM;
    return nullptr;
  }
  void* p = __libc_realloc(old, bytes);
  count_realloc(old, bytes, p);
  return p;
}

WSALLOC_EXPORT int posix_memalign(void** out, size_t alignment, size_t n) noexcept {
  if (!valid_posix_alignment(alignment)) {
    count_alloc(Family::PosixMemalign, n, nullptr);
    return EINVAL;
  }
  int saved = errno;  // posix_memalign reports through its result, never errno
  void* p = __libc_memalign(alignment, n);
  errno = saved;
  count_alloc(Family::PosixMemalign, n, p);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

// glibc 2.36 accepts any alignment here (rounded up to a power of two), as __libc_memalign does.
WSALLOC_EXPORT void* aligned_alloc(size_t alignment, size_t n) noexcept {
  void* p = __libc_memalign(alignment, n);
  count_alloc(Family::AlignedAlloc, n, p);
  return p;
}

WSALLOC_EXPORT void* memalign(size_t alignment, size_t n) noexcept {
  void* p = __libc_memalign(alignment, n);
  count_alloc(Family::Memalign, n, p);
  return p;
}

WSALLOC_EXPORT void* valloc(size_t n) noexcept {
  void* p = __libc_valloc(n);
  count_alloc(Family::Valloc, n, p);
  return p;
}

WSALLOC_EXPORT void* pvalloc(size_t n) noexcept {
  void* p = __libc_pvalloc(n);
  count_alloc(Family::Pvalloc, n, p);
  return p;
}

}  // extern "C"
