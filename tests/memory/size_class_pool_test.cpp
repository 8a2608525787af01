#include "memory/size_class_pool.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory_resource>
#include <stdexcept>
#include <string>
#include <vector>

#include "counting_resource.hpp"

namespace wsalloc::memory {
namespace {

using test::CountingResource;

constexpr std::size_t kMiB = 1024 * 1024;

TEST(SizeClassPool, requests_route_to_the_smallest_class_that_fits) {
  SizeClassPool pool("p");
  ASSERT_EQ(pool.class_count(), 17u);  // 16 B .. 1 MiB
  EXPECT_EQ(pool.class_bytes(0), 16u);
  EXPECT_EQ(pool.class_bytes(16), kMiB);
  EXPECT_EQ(pool.class_index(0, 1), 0u);
  EXPECT_EQ(pool.class_index(1, 1), 0u);
  EXPECT_EQ(pool.class_index(16, 1), 0u);
  EXPECT_EQ(pool.class_index(17, 1), 1u);
  EXPECT_EQ(pool.class_index(32, 1), 1u);
  EXPECT_EQ(pool.class_index(33, 1), 2u);
  EXPECT_EQ(pool.class_index(1000, 8), 6u);  // 1024
  EXPECT_EQ(pool.class_index(kMiB, 8), 16u);
  EXPECT_EQ(pool.class_index(kMiB + 1, 8), SizeClassPool::kNoClass);
  EXPECT_EQ(pool.class_index(8, 64), 2u) << "alignment rounds the class up";
  EXPECT_EQ(pool.class_index(8, 8192), SizeClassPool::kNoClass) << "beyond kMaxChunkAlign";
}

TEST(SizeClassPool, allocation_is_counted_in_its_class) {
  SizeClassPool pool("p");
  std::pmr::memory_resource& r = pool;
  void* p = r.allocate(100, 8);
  const std::size_t c = pool.class_index(100, 8);
  ASSERT_EQ(pool.class_bytes(c), 128u);
  EXPECT_EQ(pool.class_stats(c).live, 1u);
  EXPECT_EQ(pool.class_stats(c).misses, 1u);
  EXPECT_EQ(pool.class_stats(c - 1).live, 0u);
  EXPECT_EQ(pool.totals().live_bytes, 128u);
  r.deallocate(p, 100, 8);
  EXPECT_EQ(pool.class_stats(c).live, 0u);
  EXPECT_EQ(pool.class_stats(c).peak, 1u);
  EXPECT_EQ(pool.totals().live_bytes, 0u);
  EXPECT_EQ(pool.totals().peak_live_bytes, 128u);
}

TEST(SizeClassPool, deallocated_chunk_is_recycled_not_freed) {
  CountingResource up;
  SizeClassPool pool("p", {}, &up);
  std::pmr::memory_resource& r = pool;
  void* a = r.allocate(200, 8);
  r.deallocate(a, 200, 8);
  void* b = r.allocate(256, 8);  // same class
  EXPECT_EQ(b, a);
  EXPECT_EQ(pool.class_stats(pool.class_index(200, 8)).hits, 1u);
  r.deallocate(b, 256, 8);
  EXPECT_EQ(up.deallocations, 0u);
}

// How many of [p, p + n) pages are resident (mincore).
std::size_t resident_pages(void* p, std::size_t n) {
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> v((n + page - 1) / page);
  if (::mincore(p, n, v.data()) != 0) return SIZE_MAX;
  std::size_t r = 0;
  for (unsigned char c : v) r += c & 1;
  return r;
}

// Issue 13: a recovered slow consumer's backlog chunk (up to 32 MiB) stayed resident for good.
TEST(SizeClassPool, idle_large_chunks_beyond_the_budget_give_their_pages_back) {
  CountingResource upstream;
  SizeClassPool pool("p", {.max_class_bytes = 4 * kMiB}, &upstream);
  std::vector<void*> chunks;
  for (int i = 0; i < 3; ++i) {
    void* p = pool.allocate(kMiB);
    std::memset(p, 0xAB, kMiB);  // resident
    chunks.push_back(p);
  }
  const std::uint64_t upstream_calls = upstream.allocations;
  for (void* p : chunks) pool.deallocate(p, kMiB);
  // One 1 MiB chunk fits the 1.5 MiB budget and stays resident; the other two give back all but
  // their first page (the free-list link).
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  EXPECT_EQ(pool.release_idle_pages(kMiB + kMiB / 2), 2 * (kMiB - page));
  EXPECT_EQ(resident_pages(chunks[2], kMiB), kMiB / page) << "the next chunk handed out was given back";
  EXPECT_EQ(resident_pages(chunks[0], kMiB), 1u);
  EXPECT_EQ(resident_pages(chunks[1], kMiB), 1u);
  // Handed out again: no upstream call, the pages come back zero-filled, all usable.
  for (int i = 0; i < 3; ++i) {
    auto* p = static_cast<unsigned char*>(pool.allocate(kMiB));
    std::memset(p, 0xCD, kMiB);
    EXPECT_EQ(p[kMiB - 1], 0xCD);
    chunks[static_cast<std::size_t>(i)] = p;
  }
  EXPECT_EQ(upstream.allocations, upstream_calls);
  for (void* p : chunks) pool.deallocate(p, kMiB);
  // Classes below the threshold are left alone; a zero budget releases every large chunk.
  void* small = pool.allocate(64 * 1024);
  pool.deallocate(small, 64 * 1024);
  EXPECT_EQ(pool.release_idle_pages(0), 3 * (kMiB - page));
}

TEST(SizeClassPool, large_requests_go_upstream_and_are_counted) {
  CountingResource up;
  SizeClassPool pool("p", {}, &up);
  std::pmr::memory_resource& r = pool;
  void* big = r.allocate(2 * kMiB, 16);
  std::memset(big, 1, 2 * kMiB);
  EXPECT_EQ(up.allocations, 1u);
  SizeClassPoolTotals t = pool.totals();
  EXPECT_EQ(t.large_allocations, 1u);
  EXPECT_EQ(t.large_bytes, 2 * kMiB);
  EXPECT_EQ(t.large_live, 1u);
  EXPECT_EQ(t.large_live_bytes, 2 * kMiB);
  EXPECT_EQ(t.slabs, 0u);
  r.deallocate(big, 2 * kMiB, 16);
  EXPECT_EQ(up.deallocations, 1u) << "large allocations go back at once";
  EXPECT_EQ(pool.totals().large_live, 0u);
  EXPECT_EQ(pool.totals().large_allocations, 1u);
}

TEST(SizeClassPool, every_request_honours_its_alignment) {
  SizeClassPool pool("p");
  std::pmr::memory_resource& r = pool;
  for (std::size_t align = 1; align <= 16384; align *= 2) {
    for (std::size_t bytes : {0u, 1u, 24u, 100u, 5000u}) {
      void* p = r.allocate(bytes, align);
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % align, 0u) << bytes << " B aligned " << align;
      std::memset(p, 0xEE, bytes);
      r.deallocate(p, bytes, align);
    }
  }
}

TEST(SizeClassPool, zero_byte_allocations_are_non_null_and_distinct) {
  SizeClassPool pool("p");
  std::pmr::memory_resource& r = pool;
  void* a = r.allocate(0, 1);
  void* b = r.allocate(0, 1);
  EXPECT_NE(a, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(pool.class_stats(0).live, 2u);
  r.deallocate(a, 0, 1);
  r.deallocate(b, 0, 1);
}

TEST(SizeClassPool, pmr_containers_work_and_steady_state_is_upstream_free) {
  CountingResource up;
  SizeClassPool pool("p", {}, &up);
  auto cycle = [&] {
    std::pmr::vector<std::pmr::string> v(&pool);
    for (int i = 0; i < 300; ++i) v.emplace_back(std::string(static_cast<std::size_t>(i), 'z'));
    std::pmr::map<int, std::pmr::string> m(&pool);
    for (int i = 0; i < 100; ++i) m.emplace(i, std::string(50, 'm'));
    ASSERT_EQ(v[299].size(), 299u);
    ASSERT_EQ(m.at(42).size(), 50u);
  };
  cycle();
  const auto warmed = up.allocations;
  for (int i = 0; i < 50; ++i) cycle();
  EXPECT_EQ(up.allocations, warmed);
  EXPECT_EQ(up.deallocations, 0u);
  EXPECT_EQ(pool.totals().live, 0u) << "the containers gave every chunk back";
  EXPECT_GT(pool.totals().hits, 50u * 400u);
}

TEST(SizeClassPool, slabs_per_class_grow_geometrically_from_the_first_slab_bytes) {
  SizeClassPoolOptions o;
  o.first_slab_bytes = 1024;
  o.max_slab_bytes = 4096;
  SizeClassPool pool("p", o);
  std::pmr::memory_resource& r = pool;
  const std::size_t c = pool.class_index(256, 8);
  std::vector<std::size_t> slab_sizes;
  std::size_t slots = 0;
  for (int i = 0; i < 4 + 8 + 16 + 16; ++i) {
    (void)r.allocate(256, 8);
    if (pool.class_stats(c).slots != slots) {
      slab_sizes.push_back(pool.class_stats(c).slots - slots);
      slots = pool.class_stats(c).slots;
    }
  }
  EXPECT_EQ(slab_sizes, (std::vector<std::size_t>{4, 8, 16, 16}));
}

TEST(SizeClassPool, reserve_warms_a_class_up) {
  CountingResource up;
  SizeClassPool pool("p", {}, &up);
  pool.reserve(4096, 64);
  const auto after = up.allocations;
  std::pmr::memory_resource& r = pool;
  std::vector<void*> held;
  for (int i = 0; i < 64; ++i) held.push_back(r.allocate(4000, 8));
  EXPECT_EQ(up.allocations, after);
  for (void* p : held) r.deallocate(p, 4000, 8);
}

TEST(SizeClassPool, destructor_returns_every_slab) {
  CountingResource up;
  {
    SizeClassPool pool("p", {}, &up);
    std::pmr::memory_resource& r = pool;
    for (std::size_t bytes = 1; bytes <= kMiB; bytes *= 4) r.deallocate(r.allocate(bytes, 8), bytes, 8);
    EXPECT_GT(up.allocations, 5u);
  }
  EXPECT_EQ(up.outstanding(), 0u);
}

TEST(SizeClassPool, invalid_options_are_refused_with_value_and_limit) {
  SizeClassPoolOptions o;
  o.min_class_bytes = 24;
  try {
    SizeClassPool pool("msg", o);
    FAIL() << "min_class_bytes 24 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("SizeClassPool(\"msg\"): min_class_bytes 24"),
              std::string::npos)
        << e.what();
  }
  o = {};
  o.max_class_bytes = 8;
  EXPECT_THROW(SizeClassPool("p", o), std::invalid_argument);
  o = {};
  o.max_slab_bytes = o.first_slab_bytes - 1;
  EXPECT_THROW(SizeClassPool("p", o), std::invalid_argument);
  EXPECT_THROW(SizeClassPool("p", {}, nullptr), std::invalid_argument);
}

#if WSALLOC_ASAN
TEST(SizeClassPoolDeathTest, touching_a_deallocated_chunk_is_caught_by_asan) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  SizeClassPool pool("p");
  std::pmr::memory_resource& r = pool;
  auto* p = static_cast<volatile char*>(r.allocate(64, 8));
  r.deallocate(const_cast<char*>(p), 64, 8);
  EXPECT_DEATH(p[10] = 1, "use-after-poison");
}
#endif

}  // namespace
}  // namespace wsalloc::memory
