// ArenaPlan: areas grow to fit the largest cycle they saw, and idle connection areas keep grown
// blocks only within their budget (arena_plan.hpp, "Growth").
#include "variants/arena/arena_plan.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vector>

namespace wsalloc::variants {
namespace {

nlohmann::json stats(const ArenaPlan& plan) { return nlohmann::json::parse(plan.stats_json()); }

TEST(ArenaPlan, message_area_that_overflowed_is_rebuilt_to_hold_the_whole_message) {
  ArenaPlan plan;
  const size_t first_block = stats(plan)["message"]["block_bytes"];
  const size_t big = 4 * first_block;
  plan.message()->allocate(big);
  EXPECT_GE(stats(plan)["message"]["overflow_fallbacks"].get<uint64_t>(), 1u) << "the first block cannot hold it";
  plan.after_message();
  const auto after = stats(plan);
  EXPECT_EQ(after["rebuilds"], 1);
  EXPECT_GT(after["message"]["block_bytes"].get<size_t>(), big);
  // The same message again fits the rebuilt block: no overflow, no further rebuild.
  plan.message()->allocate(big);
  EXPECT_EQ(stats(plan)["message"]["overflow_fallbacks"], 0);
  plan.after_message();
  EXPECT_EQ(stats(plan)["rebuilds"], 1);
}

TEST(ArenaPlan, send_area_resets_at_the_end_of_every_iteration) {
  ArenaPlan plan;
  plan.send()->allocate(1000);
  EXPECT_GT(stats(plan)["loop"]["bytes_in_use"].get<size_t>(), 0u);
  plan.after_iteration();
  EXPECT_EQ(stats(plan)["loop"]["bytes_in_use"], 0);
}

TEST(ArenaPlan, a_connection_that_outgrew_its_area_hands_the_next_one_a_block_that_fits) {
  ArenaPlan plan;
  std::pmr::memory_resource* r = plan.acquire_connection();
  const size_t need = 100 * 1024;  // beyond the 32 KiB default block
  r->allocate(need);
  plan.release_connection(r);
  EXPECT_EQ(stats(plan)["rebuilds"], 1);
  std::pmr::memory_resource* next = plan.acquire_connection();
  EXPECT_EQ(stats(plan)["connection_areas"]["created"], 1) << "the idle area is reused";
  next->allocate(need);
  EXPECT_EQ(stats(plan)["connection_areas"]["live_overflow_fallbacks"], 0) << "the grown block holds it";
  plan.release_connection(next);
}

TEST(ArenaPlan, idle_areas_keep_grown_blocks_only_within_their_budget) {
  ArenaPlan plan;
  std::vector<std::pmr::memory_resource*> conns;
  for (int i = 0; i < 4; ++i) conns.push_back(plan.acquire_connection());
  for (auto* r : conns) r->allocate(1536 * 1024);  // each grows to a 2 MiB block on release
  for (auto* r : conns) plan.release_connection(r);
  const auto s = stats(plan)["connection_areas"];
  EXPECT_LE(s["idle_grown_bytes"].get<size_t>(), size_t{4} << 20) << "the 4 MiB idle budget";
  EXPECT_EQ(s["idle_grown_bytes"].get<size_t>(), size_t{4} << 20) << "two 2 MiB blocks fit it";
  EXPECT_EQ(s["shrinks"], 2) << "the other two were kept at the default size";
  EXPECT_EQ(s["idle"], 4);
}

}  // namespace
}  // namespace wsalloc::variants
