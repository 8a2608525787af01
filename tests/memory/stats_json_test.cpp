#include "memory/stats_json.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory_resource>

namespace wsalloc::memory {
namespace {

TEST(StatsJson, area_json_carries_its_name_geometry_and_every_counter) {
  Area area("loop", 1024, 2);
  (void)area.bump(100);
  (void)area.bump(5000);  // overflow
  area.reset();
  (void)area.bump(10);
  const nlohmann::json j = stats_json(area);
  EXPECT_EQ(j.at("kind"), "area");
  EXPECT_EQ(j.at("name"), "loop");
  EXPECT_EQ(j.at("block_bytes"), 1024);
  EXPECT_EQ(j.at("max_blocks"), 2);
  EXPECT_EQ(j.at("bytes_in_use"), 10);
  EXPECT_EQ(j.at("high_water"), 100 + 5000);
  EXPECT_EQ(j.at("resets"), 1);
  EXPECT_EQ(j.at("blocks"), 1);
  EXPECT_EQ(j.at("overflow_fallbacks"), 1);
  EXPECT_EQ(j.at("overflow_bytes"), 5000);
  EXPECT_EQ(j.at("allocations"), 3);
  EXPECT_EQ(j.at("block_allocations"), 1);
}

TEST(StatsJson, object_pool_json_carries_slot_size_and_counters) {
  ObjectPool<std::uint64_t> pool("frames");
  std::uint64_t* a = pool.create(std::uint64_t{1});
  pool.destroy(a);
  (void)pool.create(std::uint64_t{2});
  const nlohmann::json j = stats_json(pool);
  EXPECT_EQ(j.at("kind"), "object_pool");
  EXPECT_EQ(j.at("name"), "frames");
  EXPECT_EQ(j.at("slot_bytes"), 8);
  EXPECT_EQ(j.at("hits"), 1);
  EXPECT_EQ(j.at("misses"), 1);
  EXPECT_EQ(j.at("live"), 1);
  EXPECT_EQ(j.at("peak"), 1);
  EXPECT_EQ(j.at("slabs"), 1);
  EXPECT_EQ(j.at("slots"), 16);
  EXPECT_TRUE(j.contains("slab_bytes"));
}

TEST(StatsJson, size_class_pool_json_lists_every_class_and_the_totals) {
  SizeClassPool pool("buffers");
  std::pmr::memory_resource& r = pool;
  void* small = r.allocate(20, 8);
  void* large = r.allocate(3 << 20, 8);
  const nlohmann::json j = stats_json(pool);
  EXPECT_EQ(j.at("kind"), "size_class_pool");
  EXPECT_EQ(j.at("name"), "buffers");
  ASSERT_EQ(j.at("classes").size(), pool.class_count());
  EXPECT_EQ(j.at("classes").at(0).at("class_bytes"), 16);
  EXPECT_EQ(j.at("classes").at(1).at("class_bytes"), 32);
  EXPECT_EQ(j.at("classes").at(1).at("live"), 1);
  EXPECT_EQ(j.at("classes").at(1).at("misses"), 1);
  EXPECT_EQ(j.at("totals").at("live"), 1);
  EXPECT_EQ(j.at("totals").at("live_bytes"), 32);
  EXPECT_EQ(j.at("totals").at("large_allocations"), 1);
  EXPECT_EQ(j.at("totals").at("large_live_bytes"), 3 << 20);
  r.deallocate(small, 20, 8);
  r.deallocate(large, 3 << 20, 8);
}

TEST(StatsJson, stats_structs_convert_on_their_own) {
  AreaStats s;
  s.high_water = 42;
  const nlohmann::json j = s;
  EXPECT_EQ(j.at("high_water"), 42);
  EXPECT_EQ(j.size(), 8u) << "one key per AreaStats field";
}

}  // namespace
}  // namespace wsalloc::memory
