#include "memory/slab_free_list.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "counting_resource.hpp"

namespace wsalloc::memory {
namespace {

using test::CountingResource;

TEST(SlabFreeList, pop_after_push_returns_the_same_slot) {
  SlabFreeList list(32, 8, {}, std::pmr::new_delete_resource());
  void* a = list.pop();
  void* b = list.pop();
  list.push(a);
  EXPECT_EQ(list.pop(), a);
  list.push(b);
  list.push(a);
  EXPECT_EQ(list.pop(), a) << "LIFO: the slot pushed last comes back first";
  EXPECT_EQ(list.pop(), b);
}

TEST(SlabFreeList, slabs_grow_geometrically_up_to_the_cap) {
  CountingResource up;
  SlabFreeList list(16, 8, SlabGrowth{2, 8}, &up);
  std::vector<std::size_t> slots_after_each_slab;
  for (int i = 0; i < 2 + 4 + 8 + 8 + 8; ++i) {
    const auto slabs = list.stats().slabs;
    (void)list.pop();
    if (list.stats().slabs != slabs) slots_after_each_slab.push_back(list.stats().slots);
  }
  EXPECT_EQ(slots_after_each_slab, (std::vector<std::size_t>{2, 6, 14, 22, 30}));
  EXPECT_EQ(up.allocations, 5u);
  EXPECT_EQ(list.stats().misses, 5u);
  EXPECT_EQ(list.stats().hits, 30u - 5u);
}

TEST(SlabFreeList, live_and_peak_follow_pops_and_pushes) {
  SlabFreeList list(16, 8, SlabGrowth{4, 4}, std::pmr::new_delete_resource());
  std::vector<void*> held;
  for (int i = 0; i < 10; ++i) held.push_back(list.pop());
  for (int i = 0; i < 7; ++i) {
    list.push(held.back());
    held.pop_back();
  }
  const SlotStats& s = list.stats();
  EXPECT_EQ(s.live, 3u);
  EXPECT_EQ(s.peak, 10u);
  EXPECT_EQ(s.slots, 12u);
  EXPECT_EQ(s.slabs, 3u);
}

TEST(SlabFreeList, slots_are_distinct_and_aligned) {
  SlabFreeList list(64, 64, SlabGrowth{3, 3}, std::pmr::new_delete_resource());
  std::set<void*> seen;
  for (int i = 0; i < 20; ++i) {
    void* p = list.pop();
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 0u);
    std::memset(p, 0x5A, 64);  // the whole slot is writable (and unpoisoned under ASan)
    EXPECT_TRUE(seen.insert(p).second);
    EXPECT_TRUE(list.owns(p));
  }
  int local;
  EXPECT_FALSE(list.owns(&local));
}

TEST(SlabFreeList, reserve_makes_later_pops_hit) {
  CountingResource up;
  SlabFreeList list(16, 8, SlabGrowth{4, 4}, &up);
  (void)list.pop();  // a partly used slab: 3 untouched slots left
  list.reserve(100);
  const auto allocations = up.allocations;
  for (int i = 0; i < 100; ++i) (void)list.pop();
  EXPECT_EQ(up.allocations, allocations);
  EXPECT_EQ(list.stats().misses, 1u);
  EXPECT_EQ(list.stats().live, 101u);
  EXPECT_EQ(list.stats().slots, 4u + 97u) << "reserve allocated only the shortfall";
}

TEST(SlabFreeList, steady_state_makes_no_upstream_calls) {
  CountingResource up;
  SlabFreeList list(48, 16, {}, &up);
  std::vector<void*> held;
  auto cycle = [&] {
    for (int i = 0; i < 300; ++i) held.push_back(list.pop());
    while (!held.empty()) {
      list.push(held.back());
      held.pop_back();
    }
  };
  cycle();
  const auto warmed = up.allocations;
  for (int i = 0; i < 50; ++i) cycle();
  EXPECT_EQ(up.allocations, warmed);
  EXPECT_EQ(up.deallocations, 0u) << "nothing goes back while the list lives";
}

TEST(SlabFreeList, move_transfers_the_slabs) {
  CountingResource up;
  SlabFreeList a(16, 8, {}, &up);
  void* p = a.pop();
  SlabFreeList b(std::move(a));
  EXPECT_TRUE(b.owns(p));
  EXPECT_FALSE(a.owns(p));
  EXPECT_EQ(b.stats().live, 1u);
  b.push(p);
  EXPECT_EQ(b.pop(), p);
  b.push(p);
}

TEST(SlabFreeList, destructor_returns_every_slab) {
  CountingResource up;
  {
    SlabFreeList list(16, 8, SlabGrowth{1, 2}, &up);
    for (int i = 0; i < 9; ++i) (void)list.pop();
  }
  EXPECT_EQ(up.outstanding(), 0u);
  EXPECT_EQ(up.outstanding_bytes, 0u);
}

TEST(SlabFreeList, upstream_failure_propagates_and_changes_nothing) {
  CountingResource up;
  SlabFreeList list(16, 8, SlabGrowth{1, 1}, &up);
  void* p = list.pop();
  up.fail_after = 0;
  EXPECT_THROW((void)list.pop(), std::bad_alloc);
  EXPECT_THROW(list.reserve(5), std::bad_alloc);
  EXPECT_EQ(list.stats().live, 1u);
  EXPECT_EQ(list.stats().slabs, 1u);
  list.push(p);
  EXPECT_EQ(list.pop(), p);
  list.push(p);
}

TEST(SlabFreeList, invalid_geometry_is_refused) {
  auto* up = std::pmr::new_delete_resource();
  EXPECT_THROW(SlabFreeList(16, 3, {}, up), std::invalid_argument);
  EXPECT_THROW(SlabFreeList(16, 4, {}, up), std::invalid_argument);   // < alignof(void*)
  EXPECT_THROW(SlabFreeList(24, 16, {}, up), std::invalid_argument);  // not a multiple
  EXPECT_THROW(SlabFreeList(16, 8, SlabGrowth{0, 4}, up), std::invalid_argument);
  EXPECT_THROW(SlabFreeList(16, 8, SlabGrowth{8, 4}, up), std::invalid_argument);
  EXPECT_THROW(SlabFreeList(16, 8, {}, nullptr), std::invalid_argument);
}

#if !defined(NDEBUG) || WSALLOC_ASAN
TEST(SlabFreeListDeathTest, pushing_a_foreign_pointer_aborts_in_checked_builds) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  SlabFreeList list(16, 8, {}, std::pmr::new_delete_resource());
  (void)list.pop();
  alignas(16) static char foreign[16];
  EXPECT_DEATH(list.push(foreign), "not a slot of this list");
}
#endif

#if WSALLOC_ASAN
TEST(SlabFreeListDeathTest, touching_a_pushed_slot_is_caught_by_asan) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  SlabFreeList list(32, 8, {}, std::pmr::new_delete_resource());
  auto* p = static_cast<volatile char*>(list.pop());
  list.push(const_cast<char*>(p));
  EXPECT_DEATH(p[0] = 1, "use-after-poison");
}

TEST(SlabFreeListDeathTest, pushing_a_slot_twice_is_caught_by_asan) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  SlabFreeList list(32, 8, {}, std::pmr::new_delete_resource());
  (void)list.pop();  // keeps live above 0 so only the double push is wrong
  void* p = list.pop();
  list.push(p);
  EXPECT_DEATH(list.push(p), "use-after-poison");
}
#endif

}  // namespace
}  // namespace wsalloc::memory
