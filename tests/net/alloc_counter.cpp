// Replaces global operator new/delete for net_tests so a test can count heap allocations made
// by the calling thread inside an AllocCountScope (used to prove dispatch does not allocate).
#include <cstdlib>
#include <new>

#include "test_support.hpp"

namespace {
thread_local bool g_counting = false;
thread_local size_t g_count = 0;

void* counted_alloc(std::size_t n) {
  if (g_counting) ++g_count;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* counted_aligned_alloc(std::size_t n, std::align_val_t al) {
  if (g_counting) ++g_count;
  std::size_t a = static_cast<std::size_t>(al);
  std::size_t rounded = (n + a - 1) / a * a;
  if (void* p = std::aligned_alloc(a, rounded == 0 ? a : rounded)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, std::align_val_t al) { return counted_aligned_alloc(n, al); }
void* operator new[](std::size_t n, std::align_val_t al) { return counted_aligned_alloc(n, al); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace wsalloc::net::test {
AllocCountScope::AllocCountScope() {
  g_count = 0;
  g_counting = true;
}
AllocCountScope::~AllocCountScope() { g_counting = false; }
size_t AllocCountScope::count() const { return g_count; }
}  // namespace wsalloc::net::test
