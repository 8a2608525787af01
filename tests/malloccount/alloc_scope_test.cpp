#include "malloccount/alloc_scope.hpp"

#include <gtest/gtest.h>

#include <malloc.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace wsalloc::malloccount {
namespace {

// Keeps the optimiser from eliding an allocation whose result is never used.
inline void escape(const void* p) { asm volatile("" : : "g"(p) : "memory"); }

void new_and_delete_int() {
  int* p = new int(1);
  escape(p);
  delete p;
}

TEST(AllocScope, counts_exactly_n_new_int) {
  constexpr int n = 1000;
  std::vector<int*> keep(n);  // allocated before the scope opens
  AllocScope scope;
  for (int i = 0; i < n; ++i) {
    keep[i] = new int(i);
    escape(keep[i]);
  }
  const uint64_t allocations = scope.allocations(), bytes = scope.bytes(), frees_before = scope.frees();
  for (int* p : keep) delete p;
  const uint64_t frees_after = scope.frees();
  EXPECT_EQ(allocations, static_cast<uint64_t>(n));
  EXPECT_EQ(bytes, n * sizeof(int));
  EXPECT_EQ(frees_before, 0u);
  EXPECT_EQ(frees_after, static_cast<uint64_t>(n));
}

TEST(AllocScope, reads_zero_for_code_that_does_not_allocate) {
  int data[256];
  for (int i = 0; i < 256; ++i) data[i] = i;
  AllocScope scope;
  long sum = 0;
  for (int round = 0; round < 100; ++round)
    for (int v : data) sum += v * round;
  std::string small = "short";  // fits the small-string buffer
  escape(&sum);
  escape(small.data());
  const uint64_t allocations = scope.allocations(), bytes = scope.bytes(), frees = scope.frees();
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(bytes, 0u);
  EXPECT_EQ(frees, 0u);
}

TEST(AllocScope, does_not_count_another_threads_allocations) {
  std::atomic<bool> go{false};
  std::atomic<bool> done{false};
  // The thread (and its own allocations for starting up) exists before the scope opens.
  std::thread other([&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!go.load() && std::chrono::steady_clock::now() < deadline) sched_yield();
    for (int i = 0; i < 500; ++i) {
      void* p = std::malloc(64);
      escape(p);
      std::free(p);
      new_and_delete_int();
    }
    done.store(true);
  });
  uint64_t allocations = 0, frees = 0;
  bool finished = false;
  {
    AllocScope scope;
    go.store(true);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done.load() && std::chrono::steady_clock::now() < deadline) sched_yield();
    finished = done.load();
    allocations = scope.allocations();
    frees = scope.frees();
  }
  other.join();
  ASSERT_TRUE(finished) << "the other thread did not finish within 30 s";
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(frees, 0u);
}

TEST(AllocScope, counts_each_thread_on_its_own) {
  uint64_t in_thread = 0;
  std::thread t([&] {
    AllocScope scope;
    for (int i = 0; i < 300; ++i) {
      void* p = std::malloc(16);
      escape(p);
      std::free(p);
    }
    in_thread = scope.allocations();
  });
  t.join();
  EXPECT_EQ(in_thread, 300u);
}

TEST(AllocScope, vector_with_reserve_allocates_once) {
  AllocScope scope;
  {
    std::vector<int> v;
    v.reserve(100);
    for (int i = 0; i < 100; ++i) v.push_back(i);
    escape(v.data());
  }
  const uint64_t allocations = scope.allocations(), bytes = scope.bytes(), frees = scope.frees();
  EXPECT_EQ(allocations, 1u);
  EXPECT_EQ(bytes, 100 * sizeof(int));
  EXPECT_EQ(frees, 1u);
}

TEST(AllocScope, vector_growth_allocates_once_per_capacity_change) {
  uint64_t capacity_changes = 0, grown_bytes = 0;
  AllocScope scope;
  uint64_t allocations = 0, frees_before_destruction = 0;
  {
    std::vector<int> v;
    size_t cap = v.capacity();
    for (int i = 0; i < 1000; ++i) {
      v.push_back(i);
      if (v.capacity() != cap) {
        cap = v.capacity();
        ++capacity_changes;
        grown_bytes += cap * sizeof(int);
      }
    }
    allocations = scope.allocations();
    frees_before_destruction = scope.frees();
    escape(v.data());
  }
  const uint64_t bytes = scope.bytes(), frees = scope.frees();
  EXPECT_GT(capacity_changes, 5u);  // it did grow geometrically
  EXPECT_EQ(allocations, capacity_changes);
  EXPECT_EQ(bytes, grown_bytes);
  EXPECT_EQ(frees_before_destruction, capacity_changes - 1);  // each growth frees the old block
  EXPECT_EQ(frees, capacity_changes);
}

struct alignas(256) Page {
  char bytes[100];
};
static_assert(sizeof(Page) == 256, "alignas rounds the size up to the alignment");

TEST(AllocScope, counts_aligned_new_and_its_size) {
  AllocScope scope;
  auto* page = new Page;
  escape(page);
  const bool aligned = reinterpret_cast<uintptr_t>(page) % alignof(Page) == 0;
  delete page;
  void* raw = ::operator new(100, std::align_val_t{512});
  escape(raw);
  const bool raw_aligned = reinterpret_cast<uintptr_t>(raw) % 512 == 0;
  ::operator delete(raw, std::align_val_t{512});
  const uint64_t allocations = scope.allocations(), bytes = scope.bytes(), frees = scope.frees();
  EXPECT_TRUE(aligned);
  EXPECT_TRUE(raw_aligned);
  EXPECT_EQ(allocations, 2u);
  EXPECT_EQ(bytes, sizeof(Page) + 100);
  EXPECT_EQ(frees, 2u);
}

TEST(AllocScope, counts_array_nothrow_and_sized_forms) {
  AllocScope scope;
  auto* arr = new char[33];
  escape(arr);
  delete[] arr;
  auto* nt = new (std::nothrow) long;
  escape(nt);
  delete nt;
  auto owned = std::make_unique<double[]>(4);
  escape(owned.get());
  owned.reset();
  const uint64_t allocations = scope.allocations(), bytes = scope.bytes(), frees = scope.frees();
  EXPECT_EQ(allocations, 3u);
  EXPECT_EQ(bytes, 33 + sizeof(long) + 4 * sizeof(double));
  EXPECT_EQ(frees, 3u);
}

TEST(AllocScope, counts_the_c_functions_with_realloc_as_allocation_plus_free) {
  AllocScope scope;
  void* p = std::calloc(4, 25);      // +1 alloc, 100 B
  p = std::realloc(p, 300);          // +1 alloc +1 free, 300 B
  escape(p);
  p = std::realloc(p, 0);            // +1 free (glibc frees and returns nullptr)
  escape(p);
  void* a = std::aligned_alloc(64, 64);  // +1, 64 B
  void* m = ::memalign(32, 40);          // +1, 40 B
  void* pm = nullptr;
  const int pm_result = ::posix_memalign(&pm, 128, 10);  // +1, 10 B
  escape(a);
  escape(m);
  escape(pm);
  std::free(a);
  std::free(m);
  std::free(pm);
  std::free(nullptr);  // not a free of a block
  const uint64_t allocations = scope.allocations(), bytes = scope.bytes(), frees = scope.frees();
  EXPECT_EQ(pm_result, 0);
  EXPECT_EQ(allocations, 5u);
  EXPECT_EQ(bytes, 100u + 300 + 64 + 40 + 10);
  EXPECT_EQ(frees, 5u);
}

TEST(AllocScope, nested_scopes_each_count_from_their_own_start) {
  AllocScope outer;
  new_and_delete_int();
  uint64_t inner_count = 0;
  {
    AllocScope inner;
    new_and_delete_int();
    new_and_delete_int();
    inner_count = inner.allocations();
  }
  const uint64_t outer_count = outer.allocations();
  EXPECT_EQ(inner_count, 2u);
  EXPECT_EQ(outer_count, 3u);
}

TEST(AllocScope, strdup_inside_libc_is_counted) {
  AllocScope scope;
  char* s = ::strdup("counted");
  escape(s);
  std::free(s);
  const uint64_t allocations = scope.allocations(), bytes = scope.bytes();
  EXPECT_EQ(allocations, 1u);
  EXPECT_EQ(bytes, sizeof("counted"));
}

}  // namespace
}  // namespace wsalloc::malloccount
