#include "malloccount/counters.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <memory>
#include <stdexcept>

#include "probe_process.hpp"

namespace wsalloc::malloccount {
namespace {

class CounterFileTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = testing::fresh_counter_path("counters"); }
  void TearDown() override { ::unlink(path_.c_str()); }

  // A counter file image as the preload library would leave it.
  static std::unique_ptr<CounterFile> valid_image() {
    auto f = std::make_unique<CounterFile>();
    f->header.magic.store(kCounterMagic);
    f->header.version = kCounterVersion;
    f->header.file_bytes = sizeof(CounterFile);
    f->header.shard_count = kShardCount;
    f->header.family_count = kFamilyCount;
    f->header.exclusive_shards = kExclusiveShards;
    f->header.creator_pid = 4242;
    f->header.generation = 77;
    f->header.attaches.store(2);
    f->header.forks.store(3);
    f->header.shard_claims.store(70);
    return f;
  }

  void write(const void* bytes, size_t n) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(n));
  }
  void write(const CounterFile& f) { write(&f, sizeof f); }

  std::string path_;
};

TEST_F(CounterFileTest, read_counters_reports_cannot_open_for_a_missing_file) {
  ReadError why = ReadError::None;
  EXPECT_FALSE(read_counters(path_ + ".absent", why).has_value());
  EXPECT_EQ(why, ReadError::CannotOpen);
  EXPECT_FALSE(read_counters(path_ + ".absent").has_value());
}

TEST_F(CounterFileTest, read_counters_reports_too_small_for_a_short_file) {
  auto f = valid_image();
  write(f.get(), sizeof(CounterFile) - 1);
  ReadError why = ReadError::None;
  EXPECT_FALSE(read_counters(path_, why).has_value());
  EXPECT_EQ(why, ReadError::TooSmall);
}

TEST_F(CounterFileTest, read_counters_refuses_a_file_without_magic) {
  auto f = valid_image();
  f->header.magic.store(0);  // what a reader sees while the creator resets the file
  write(*f);
  ReadError why = ReadError::None;
  EXPECT_FALSE(read_counters(path_, why).has_value());
  EXPECT_EQ(why, ReadError::BadMagic);
}

TEST_F(CounterFileTest, read_counters_refuses_another_version) {
  auto f = valid_image();
  f->header.version = kCounterVersion + 1;
  write(*f);
  ReadError why = ReadError::None;
  EXPECT_FALSE(read_counters(path_, why).has_value());
  EXPECT_EQ(why, ReadError::VersionMismatch);
}

TEST_F(CounterFileTest, read_counters_refuses_another_layout_of_the_same_version) {
  auto f = valid_image();
  f->header.shard_count = kShardCount * 2;
  write(*f);
  ReadError why = ReadError::None;
  EXPECT_FALSE(read_counters(path_, why).has_value());
  EXPECT_EQ(why, ReadError::LayoutMismatch);

  f = valid_image();
  f->header.exclusive_shards = kExclusiveShards / 2;
  write(*f);
  why = ReadError::None;
  EXPECT_FALSE(read_counters(path_, why).has_value());
  EXPECT_EQ(why, ReadError::LayoutMismatch);
}

TEST_F(CounterFileTest, read_counters_sums_every_shard) {
  auto f = valid_image();
  for (uint32_t s = 0; s < kShardCount; ++s) {
    CounterShard& shard = f->shards[s];
    shard.family[static_cast<uint32_t>(Family::Malloc)].calls.store(s + 1);
    shard.family[static_cast<uint32_t>(Family::Malloc)].bytes.store(10 * (s + 1));
    shard.family[static_cast<uint32_t>(Family::Pvalloc)].calls.store(1);
    shard.allocations.store(s + 1);
    shard.frees.store(1);
    shard.bytes_allocated.store(10 * (s + 1));
    shard.failed.store(s == kShardCount - 1 ? 5 : 0);
  }
  write(*f);
  ReadError why = ReadError::BadMagic;
  auto snap = read_counters(path_, why);
  ASSERT_TRUE(snap.has_value()) << read_error_name(why);
  EXPECT_EQ(why, ReadError::None);
  const uint64_t n = kShardCount, tri = n * (n + 1) / 2;
  EXPECT_EQ((*snap)[Family::Malloc].calls, tri);
  EXPECT_EQ((*snap)[Family::Malloc].bytes, 10 * tri);
  EXPECT_EQ((*snap)[Family::Pvalloc].calls, n);
  EXPECT_EQ((*snap)[Family::Calloc], FamilySnapshot{});
  EXPECT_EQ(snap->allocations, tri);
  EXPECT_EQ(snap->frees, n);
  EXPECT_EQ(snap->bytes_allocated, 10 * tri);
  EXPECT_EQ(snap->failed, 5u);
  EXPECT_EQ(snap->creator_pid, 4242);
  EXPECT_EQ(snap->generation, 77u);
  EXPECT_EQ(snap->attaches, 2u);
  EXPECT_EQ(snap->forks, 3u);
  EXPECT_EQ(snap->shard_claims, 70u);
  EXPECT_EQ(snap->version, kCounterVersion);
}

CounterSnapshot sample(uint64_t base) {
  CounterSnapshot s;
  s.version = kCounterVersion;
  s.creator_pid = 9;
  s.generation = 1234;
  s.attaches = 1 + base;
  s.forks = base;
  s.shard_claims = 2 * base;
  for (uint32_t f = 0; f < kFamilyCount; ++f) s.family[f] = {base * (f + 1), base * (f + 1) * 8};
  s.allocations = 3 * base;
  s.frees = 2 * base;
  s.bytes_allocated = 100 * base;
  s.failed = base / 10;
  return s;
}

TEST(CounterSnapshotDifference, subtracts_every_counter_and_keeps_identity) {
  CounterSnapshot d = sample(50) - sample(20);
  EXPECT_EQ(d.version, kCounterVersion);
  EXPECT_EQ(d.creator_pid, 9);
  EXPECT_EQ(d.generation, 1234u);
  EXPECT_EQ(d.attaches, 30u);
  EXPECT_EQ(d.forks, 30u);
  EXPECT_EQ(d.shard_claims, 60u);
  for (uint32_t f = 0; f < kFamilyCount; ++f) {
    EXPECT_EQ(d.family[f].calls, 30u * (f + 1)) << family_name(static_cast<Family>(f));
    EXPECT_EQ(d.family[f].bytes, 240u * (f + 1)) << family_name(static_cast<Family>(f));
  }
  EXPECT_EQ(d.allocations, 90u);
  EXPECT_EQ(d.frees, 60u);
  EXPECT_EQ(d.bytes_allocated, 3000u);
  EXPECT_EQ(d.failed, 3u);
}

TEST(CounterSnapshotDifference, refuses_snapshots_of_different_generations) {
  CounterSnapshot later = sample(50);
  later.generation = 1235;
  EXPECT_THROW((void)(later - sample(20)), std::invalid_argument);
}

TEST(CounterSnapshotDifference, refuses_a_counter_that_went_backwards) {
  CounterSnapshot later = sample(50);
  later.frees = 1;
  try {
    (void)(later - sample(20));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("frees"), std::string::npos) << e.what();
  }
}

TEST(CounterLayout, family_names_are_the_c_function_names) {
  EXPECT_EQ(family_name(Family::Malloc), "malloc");
  EXPECT_EQ(family_name(Family::PosixMemalign), "posix_memalign");
  EXPECT_EQ(family_name(Family::AlignedAlloc), "aligned_alloc");
  EXPECT_EQ(family_name(Family::Pvalloc), "pvalloc");
  EXPECT_EQ(family_name(static_cast<Family>(kFamilyCount)), "?");
}

}  // namespace
}  // namespace wsalloc::malloccount
