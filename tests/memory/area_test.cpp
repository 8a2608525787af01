#include "memory/area.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory_resource>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "counting_resource.hpp"

namespace wsalloc::memory {
namespace {

using test::CountingResource;

auto addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

TEST(Area, arena_reset_keeps_first_block) {
  CountingResource up;
  Area area("t", 1024, 4, &up);
  void* first = area.bump(1024);
  (void)area.bump(1024);
  ASSERT_EQ(area.blocks(), 2u);

  area.reset(Retain::FirstBlock);
  EXPECT_EQ(area.blocks(), 1u);
  EXPECT_EQ(up.outstanding(), 1u);
  EXPECT_EQ(area.bump(8), first) << "rewound to the start of block 0";
  EXPECT_EQ(up.allocations, 2u) << "block 0 was kept, not reallocated";
}

TEST(Area, reset_keeps_every_block_by_default) {
  CountingResource up;
  Area area("t", 1024, 4, &up);
  (void)area.bump(1024);
  void* second = area.bump(1024);
  area.reset();
  EXPECT_EQ(area.blocks(), 2u);
  (void)area.bump(1024);
  EXPECT_EQ(area.bump(1024), second) << "the retained block 1 is reused";
  EXPECT_EQ(up.allocations, 2u);
  EXPECT_EQ(up.deallocations, 0u);
}

TEST(Area, filling_a_block_exactly_then_one_byte_takes_a_second_block) {
  Area area("t", 4096, 4);
  (void)area.bump(area.block_bytes());
  EXPECT_EQ(area.blocks(), 1u);
  EXPECT_EQ(area.stats().overflow_fallbacks, 0u);
  (void)area.bump(1);
  EXPECT_EQ(area.blocks(), 2u);
}

TEST(Area, block_bytes_round_up_to_the_block_alignment) {
  Area area("t", 100, 1);
  EXPECT_EQ(area.block_bytes(), 128u);
}

TEST(Area, every_request_honours_its_alignment_and_no_two_overlap) {
  Area area("t", 4096, 64);
  std::vector<std::pair<std::uintptr_t, std::uintptr_t>> ranges;
  for (std::size_t align = 1; align <= 8192; align *= 2) {
    for (std::size_t bytes : {0u, 1u, 3u, 17u, 100u, 1000u, 5000u}) {
      void* p = area.bump(bytes, align);
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(addr(p) % align, 0u) << bytes << " B aligned " << align;
      const std::size_t n = std::max<std::size_t>(bytes, 1);
      std::memset(p, 0xAB, n);  // under ASan: the whole handout is addressable
      ranges.emplace_back(addr(p), addr(p) + n);
    }
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    EXPECT_LE(ranges[i - 1].second, ranges[i].first) << "handouts " << i - 1 << " and " << i;
  }
}

TEST(Area, allocate_through_memory_resource_honours_alignment) {
  Area area("t", 1024, 4);
  std::pmr::memory_resource& r = area;
  for (std::size_t align = 1; align <= 256; align *= 2) {
    (void)r.allocate(1, 1);  // misalign the bump pointer first
    EXPECT_EQ(addr(r.allocate(24, align)) % align, 0u) << align;
  }
}

TEST(Area, request_larger_than_a_block_falls_back_upstream_and_is_freed_on_reset) {
  CountingResource up;
  Area area("t", 1024, 2, &up);
  void* big = area.bump(5000);
  std::memset(big, 1, 5000);
  AreaStats s = area.stats();
  EXPECT_EQ(s.overflow_fallbacks, 1u);
  EXPECT_EQ(s.overflow_bytes, 5000u);
  EXPECT_EQ(s.blocks, 0u) << "an overflow takes no block";
  EXPECT_EQ(up.outstanding(), 1u);

  area.reset();
  EXPECT_EQ(up.outstanding(), 0u);
  EXPECT_EQ(area.stats().overflow_fallbacks, 1u) << "a cumulative counter";
  EXPECT_EQ(area.bytes_in_use(), 0u);
}

TEST(Area, request_needing_padding_beyond_a_block_falls_back_upstream) {
  Area area("t", 1024, 4);
  void* p = area.bump(1024, 4096);  // fits a block only if its data happens to be 4 KiB aligned
  EXPECT_EQ(addr(p) % 4096, 0u);
  EXPECT_EQ(area.stats().overflow_fallbacks, 1u);
}

TEST(Area, requests_beyond_max_blocks_fall_back_upstream) {
  CountingResource up;
  Area area("t", 1024, 1, &up);
  (void)area.bump(1024);
  void* p = area.bump(16);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(area.blocks(), 1u);
  EXPECT_EQ(area.stats().overflow_fallbacks, 1u);
  EXPECT_EQ(area.stats().overflow_bytes, 16u);
  EXPECT_EQ(up.allocations, 2u);  // block 0 + the fallback
  area.reset();
  EXPECT_EQ(up.outstanding(), 1u) << "the fallback is freed, block 0 kept";
}

TEST(Area, absurd_request_fails_with_bad_alloc_and_leaves_the_area_intact) {
  Area area("t", 1024, 1);
  void* before = area.bump(8);
  EXPECT_THROW((void)area.bump(SIZE_MAX - 8), std::bad_alloc);
  EXPECT_EQ(area.stats().overflow_fallbacks, 0u);
  EXPECT_NE(area.bump(8), before);
}

TEST(Area, allocate_reset_cycle_after_warm_up_makes_no_upstream_allocations) {
  CountingResource up;
  Area area("t", 2048, 8, &up);
  auto cycle = [&] {
    {
      for (int i = 0; i < 100; ++i) std::memset(area.bump(37, 8), 0, 37);
      std::pmr::vector<int> v(&area);
      for (int i = 0; i < 500; ++i) v.push_back(i);  // grows 1, 2, 4 ... 512 ints: ~4 KiB in all
      std::pmr::string s(300, 'x', &area);
    }  // containers end before the reset that invalidates their memory
    area.reset();
  };
  cycle();  // warm-up: blocks get allocated here
  const auto warmed = up.allocations;
  ASSERT_GT(area.blocks(), 1u);
  for (int i = 0; i < 100; ++i) cycle();
  EXPECT_EQ(up.allocations, warmed);
  EXPECT_EQ(up.deallocations, 0u);
  EXPECT_EQ(area.stats().overflow_fallbacks, 0u);
  EXPECT_EQ(area.stats().resets, 101u);
}

TEST(Area, high_water_is_the_largest_cycle) {
  Area area("t", 1024, 4);
  (void)area.bump(64);
  (void)area.bump(32);
  EXPECT_EQ(area.bytes_in_use(), 96u);
  area.reset();
  (void)area.bump(16);
  AreaStats s = area.stats();
  EXPECT_EQ(s.bytes_in_use, 16u);
  EXPECT_EQ(s.high_water, 96u);
  EXPECT_EQ(s.resets, 1u);
  EXPECT_EQ(s.allocations, 3u);
  (void)area.bump(200);
  EXPECT_EQ(area.high_water(), 216u) << "the current cycle counts once it is the largest";
}

TEST(Area, bytes_in_use_counts_padding_and_overflow_but_not_skipped_block_tails) {
  Area area("t", 1024, 2);
  (void)area.bump(1, 1);
  (void)area.bump(8, 8);  // 7 bytes of padding
  EXPECT_EQ(area.bytes_in_use(), 16u);
  (void)area.bump(1020, 4);  // does not fit the 1008 left: block 1, the tail of block 0 is skipped
  EXPECT_EQ(area.bytes_in_use(), 16u + 1020u);
  (void)area.bump(2000);  // overflow
  EXPECT_EQ(area.bytes_in_use(), 16u + 1020u + 2000u);
}

TEST(Area, deallocate_frees_nothing_before_reset) {
  Area area("t", 1024, 2);
  std::pmr::memory_resource& r = area;
  void* p = r.allocate(100, 8);
  r.deallocate(p, 100, 8);
  EXPECT_EQ(area.bytes_in_use(), 100u);
  EXPECT_NE(r.allocate(100, 8), p) << "a bump allocator does not reuse before reset";
}

TEST(Area, pmr_vector_and_string_work_on_an_area) {
  CountingResource up;
  Area area("t", 64 * 1024, 8, &up);
  {
    std::pmr::vector<std::uint64_t> v(&area);
    for (std::uint64_t i = 0; i < 4000; ++i) v.push_back(i * i);
    const std::string_view start = "a string long enough to leave the small-string buffer";
    std::pmr::string s(start, &area);
    for (int i = 0; i < 50; ++i) s += "+more";
    std::pmr::vector<std::pmr::string> strings(&area);
    for (int i = 0; i < 100; ++i) strings.emplace_back(std::to_string(i) + std::string(40, 'y'));
    for (std::uint64_t i = 0; i < 4000; ++i) ASSERT_EQ(v[i], i * i);
    EXPECT_EQ(s.size(), start.size() + 250u);
    EXPECT_EQ(strings[99].substr(0, 2), "99");
    EXPECT_EQ(strings[99].get_allocator().resource(), &area) << "uses-allocator construction";
  }
  EXPECT_GT(area.stats().allocations, 10u);
  EXPECT_EQ(area.stats().overflow_fallbacks, 0u);
  EXPECT_EQ(up.allocations, area.blocks()) << "only blocks came from upstream";
}

TEST(Area, zero_byte_allocations_are_non_null_and_distinct) {
  Area area("t", 1024, 2);
  void* a = area.bump(0);
  void* b = area.bump(0);
  void* c = static_cast<std::pmr::memory_resource&>(area).allocate(0, 1);
  EXPECT_NE(a, nullptr);
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  static_cast<std::pmr::memory_resource&>(area).deallocate(c, 0, 1);
}

TEST(Area, new_area_allocates_nothing_until_first_use) {
  CountingResource up;
  Area area("t", 1024, 2, &up);
  EXPECT_EQ(area.blocks(), 0u);
  EXPECT_EQ(up.allocations, 0u);
  area.reset();  // resetting an untouched area is fine
  (void)area.bump(1);
  EXPECT_EQ(up.allocations, 1u);
}

TEST(Area, reserve_blocks_warms_up_without_traffic) {
  CountingResource up;
  Area area("t", 1024, 3, &up);
  area.reserve_blocks(10);
  EXPECT_EQ(area.blocks(), 3u) << "capped at max_blocks";
  EXPECT_EQ(up.allocations, 3u);
  for (int i = 0; i < 3; ++i) (void)area.bump(1024);
  EXPECT_EQ(up.allocations, 3u);
  EXPECT_EQ(area.stats().block_allocations, 3u);
}

TEST(Area, upstream_failure_propagates_and_leaves_the_area_usable) {
  CountingResource up;
  Area area("t", 1024, 2, &up);
  up.fail_after = 0;
  EXPECT_THROW((void)area.bump(8), std::bad_alloc);
  EXPECT_EQ(area.blocks(), 0u);
  EXPECT_EQ(area.bytes_in_use(), 0u);
  up.fail_after = SIZE_MAX;
  EXPECT_NE(area.bump(8), nullptr);
  EXPECT_EQ(area.blocks(), 1u);
}

TEST(Area, destructor_returns_everything_upstream) {
  CountingResource up;
  {
    Area area("t", 1024, 2, &up);
    (void)area.bump(1024);
    (void)area.bump(1024);
    (void)area.bump(3000);
    (void)area.bump(1);  // max_blocks reached: another fallback
    EXPECT_EQ(up.outstanding(), 4u);
  }
  EXPECT_EQ(up.outstanding(), 0u);
  EXPECT_EQ(up.outstanding_bytes, 0u);
}

TEST(Area, invalid_arguments_are_refused_with_value_and_limit) {
  try {
    Area area("loop", 0, 1);
    FAIL() << "block_bytes 0 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("Area(\"loop\"): block_bytes 0"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(Area("t", 1024, 0), std::invalid_argument);
  EXPECT_THROW(Area("t", 1024, 1, nullptr), std::invalid_argument);
}

TEST(Area, is_equal_only_to_itself) {
  Area a("a", 1024, 1), b("b", 1024, 1);
  EXPECT_TRUE(a.is_equal(a));
  EXPECT_FALSE(a.is_equal(b));
}

#if !defined(NDEBUG) && !WSALLOC_ASAN
TEST(Area, reset_fills_released_memory_with_0xDD_in_debug_builds) {
  Area area("t", 1024, 2);
  auto* p = static_cast<unsigned char*>(area.bump(64));
  std::memset(p, 0x11, 64);
  area.reset();
  for (int i = 0; i < 64; ++i) ASSERT_EQ(p[i], 0xDD) << i;  // block 0 is retained: still mapped
}
#endif

#if !defined(NDEBUG) || WSALLOC_ASAN
TEST(AreaDeathTest, deallocating_a_foreign_pointer_aborts_in_checked_builds) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Area area("loop", 1024, 2);
  (void)area.bump(16);
  alignas(16) static char foreign[16];
  EXPECT_DEATH(static_cast<std::pmr::memory_resource&>(area).deallocate(foreign, 16, 16),
               "Area\\(\"loop\"\\)::deallocate\\(.*, 16 B\\): not a live handout");
}

TEST(AreaDeathTest, deallocating_after_reset_aborts_in_checked_builds) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Area area("msg", 1024, 2);
  std::pmr::memory_resource& r = area;
  void* p = r.allocate(32, 8);
  area.reset();
  EXPECT_DEATH(r.deallocate(p, 32, 8), "not a live handout");
}
#endif

#if WSALLOC_ASAN
TEST(AreaDeathTest, touching_memory_after_reset_is_caught_by_asan) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Area area("t", 1024, 2);
  auto* p = static_cast<volatile char*>(area.bump(64));
  p[0] = 1;
  area.reset();
  EXPECT_DEATH(p[0] = 2, "use-after-poison");
}

TEST(AreaDeathTest, reading_past_a_handout_is_caught_by_asan) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Area area("t", 1024, 2);
  auto* p = static_cast<volatile char*>(area.bump(64));
  EXPECT_DEATH((void)p[64], "use-after-poison");
}

TEST(AreaDeathTest, touching_memory_after_deallocate_is_caught_by_asan) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Area area("t", 1024, 2);
  std::pmr::memory_resource& r = area;
  auto* p = static_cast<volatile char*>(r.allocate(64, 8));
  r.deallocate(const_cast<char*>(p), 64, 8);
  EXPECT_DEATH(p[8] = 2, "use-after-poison");
}
#endif

}  // namespace
}  // namespace wsalloc::memory
