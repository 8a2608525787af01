#include "malloccount/snapshot_json.hpp"

#include <gtest/gtest.h>

namespace wsalloc::malloccount {
namespace {

CounterSnapshot sample() {
  CounterSnapshot s;
  s.version = kCounterVersion;
  s.creator_pid = 31337;
  s.generation = 1'732'634'000'123'456'789ull;
  s.attaches = 2;
  s.forks = 1;
  s.shard_claims = 5;
  for (uint32_t f = 0; f < kFamilyCount; ++f) s.family[f] = {f + 1, (f + 1) * 1000};
  s.allocations = 40;
  s.frees = 39;
  s.bytes_allocated = 40000;
  s.failed = 1;
  return s;
}

TEST(SnapshotJson, round_trips_every_field) {
  nlohmann::json j = sample();
  EXPECT_EQ(j.get<CounterSnapshot>(), sample());
  EXPECT_EQ(nlohmann::json::parse(j.dump()).get<CounterSnapshot>(), sample());
}

TEST(SnapshotJson, names_every_family_even_when_zero) {
  CounterSnapshot zero;
  nlohmann::json j = zero;
  ASSERT_EQ(j.at("families").size(), kFamilyCount);
  EXPECT_EQ(j.at("families").at("posix_memalign").at("calls"), 0);
  EXPECT_EQ(j.at("allocations"), 0);
}

TEST(SnapshotJson, uses_the_documented_field_names) {
  nlohmann::json j = sample();
  EXPECT_EQ(j.at("creator_pid"), 31337);
  EXPECT_EQ(j.at("generation"), 1'732'634'000'123'456'789ull);
  EXPECT_EQ(j.at("bytes_allocated"), 40000);
  EXPECT_EQ(j.at("shard_claims"), 5);
  EXPECT_EQ(j.at("families").at("malloc").at("calls"), 1);
  EXPECT_EQ(j.at("families").at("pvalloc").at("bytes"), 9000);
}

TEST(SnapshotJson, parsing_a_record_without_a_family_throws) {
  nlohmann::json j = sample();
  j["families"].erase("calloc");
  EXPECT_THROW((void)j.get<CounterSnapshot>(), nlohmann::json::exception);
}

}  // namespace
}  // namespace wsalloc::malloccount
