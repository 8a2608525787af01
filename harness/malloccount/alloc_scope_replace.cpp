// wsalloc_alloc_scope's counting malloc: replacements of the C allocation functions and of the
// replaceable global operator new/delete family, feeding the calling thread's ThreadCounts.
// Under ASan/TSan the sanitizer owns malloc, so the same counts come from its allocation hooks.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "malloccount/alloc_scope_counts.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WSALLOC_SCOPE_VIA_SANITIZER_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WSALLOC_SCOPE_VIA_SANITIZER_HOOKS 1
#endif
#endif

namespace wsalloc::malloccount::scope_detail {
namespace {

// Initial-exec: a plain TLS slot with no init function, so it is usable inside malloc on any
// thread at any time, including thread start-up and exit.
__thread ThreadCounts t_counts __attribute__((tls_model("initial-exec"))) = {0, 0, 0};

inline void on_alloc(const volatile void* p, size_t n) noexcept {
  if (p == nullptr) return;
  ++t_counts.allocations;
  t_counts.bytes += n;
}
inline void on_free(const volatile void* p) noexcept {
  if (p != nullptr) ++t_counts.frees;
}

}  // namespace

ThreadCounts& thread_counts() noexcept { return t_counts; }

}  // namespace wsalloc::malloccount::scope_detail

using wsalloc::malloccount::scope_detail::on_alloc;
using wsalloc::malloccount::scope_detail::on_free;

#ifdef WSALLOC_SCOPE_VIA_SANITIZER_HOOKS

// From <sanitizer/allocator_interface.h>, which GCC 12 does not ship; libasan/libtsan export it.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, size_t),
                                                         void (*free_hook)(const volatile void*));

namespace {
[[gnu::constructor]] void install_counting_hooks() {
  __sanitizer_install_malloc_and_free_hooks(+[](const volatile void* p, size_t n) { on_alloc(p, n); },
                                            +[](const volatile void* p) { on_free(p); });
}
}  // namespace

#else  // replace malloc

extern "C" {
void* __libc_malloc(size_t n) noexcept;
void* __libc_calloc(size_t n, size_t m) noexcept;
void* __libc_realloc(void* p, size_t n) noexcept;
void __libc_free(void* p) noexcept;
void* __libc_memalign(size_t alignment, size_t n) noexcept;
void* __libc_valloc(size_t n) noexcept;
void* __libc_pvalloc(size_t n) noexcept;
}

namespace {

// realloc rules of counters.hpp: n == 0 frees; a success replaces the old block (one allocation,
// one free); a failure changes nothing.
void* counted_realloc(void* old, size_t n) noexcept {
  void* p = __libc_realloc(old, n);
  if (old != nullptr && n == 0) {
    on_free(old);
  } else if (p != nullptr) {
    on_alloc(p, n);
    on_free(old);
  }
  return p;
}

// libstdc++'s operator new asks malloc for at least 1 byte; so do we, and count that byte, so the
// twin and the preload counter agree on new of size 0.
void* counted_new(size_t n) {
  if (n == 0) n = 1;
  for (;;) {
    if (void* p = __libc_malloc(n)) {
      on_alloc(p, n);
      return p;
    }
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* counted_new_aligned(size_t n, std::align_val_t al) {
  if (n == 0) n = 1;
  for (;;) {
    if (void* p = __libc_memalign(static_cast<size_t>(al), n)) {
      on_alloc(p, n);
      return p;
    }
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void counted_delete(void* p) noexcept {
  on_free(p);
  __libc_free(p);
}

}  // namespace

extern "C" {

void* malloc(size_t n) noexcept {
  void* p = __libc_malloc(n);
  on_alloc(p, n);
  return p;
}
void free(void* p) noexcept { counted_delete(p); }
void* calloc(size_t n, size_t m) noexcept {
  void* p = __libc_calloc(n, m);
  on_alloc(p, n * m);  // an overflowing n*m fails, so it is never counted
  return p;
}
void* realloc(void* old, size_t n) noexcept { return counted_realloc(old, n); }
void* reallocarray(void* old, size_t n, size_t m) noexcept {
  size_t bytes = 0;
  if (__builtin_mul_overflow(n, m, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return counted_realloc(old, bytes);
}
int posix_memalign(void** out, size_t alignment, size_t n) noexcept {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment % sizeof(void*) != 0) return EINVAL;
  int saved = errno;
  void* p = __libc_memalign(alignment, n);
  errno = saved;
  if (p == nullptr) return ENOMEM;
  on_alloc(p, n);
  *out = p;
  return 0;
}
void* aligned_alloc(size_t alignment, size_t n) noexcept {
  void* p = __libc_memalign(alignment, n);
  on_alloc(p, n);
  return p;
}
void* memalign(size_t alignment, size_t n) noexcept {
  void* p = __libc_memalign(alignment, n);
  on_alloc(p, n);
  return p;
}
void* valloc(size_t n) noexcept {
  void* p = __libc_valloc(n);
  on_alloc(p, n);
  return p;
}
void* pvalloc(size_t n) noexcept {
  void* p = __libc_pvalloc(n);
  on_alloc(p, n);
  return p;
}

}  // extern "C"

void* operator new(size_t n) { return counted_new(n); }
void* operator new[](size_t n) { return counted_new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(size_t n, std::align_val_t al) { return counted_new_aligned(n, al); }
void* operator new[](size_t n, std::align_val_t al) { return counted_new_aligned(n, al); }
void* operator new(size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  try {
    return counted_new_aligned(n, al);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  try {
    return counted_new_aligned(n, al);
  } catch (...) {
    return nullptr;
  }
}

void operator delete(void* p) noexcept { counted_delete(p); }
void operator delete[](void* p) noexcept { counted_delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_delete(p); }
void operator delete(void* p, size_t) noexcept { counted_delete(p); }
void operator delete[](void* p, size_t) noexcept { counted_delete(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_delete(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_delete(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { counted_delete(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { counted_delete(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { counted_delete(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { counted_delete(p); }

#endif  // WSALLOC_SCOPE_VIA_SANITIZER_HOOKS
