#include "memory/object_pool.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "counting_resource.hpp"

namespace wsalloc::memory {
namespace {

using test::CountingResource;

struct Conn {
  int fd;
  std::string peer;
  Conn(int f, std::string p) : fd(f), peer(std::move(p)) { ++alive; }
  ~Conn() { --alive; }
  static inline int alive = 0;
};

TEST(ObjectPool, destroyed_object_address_is_reused_by_the_next_create) {
  ObjectPool<Conn> pool("conns");
  Conn* a = pool.create(3, "a");
  pool.destroy(a);
  Conn* b = pool.create(4, "b");
  EXPECT_EQ(b, a);
  EXPECT_EQ(b->fd, 4);
  pool.destroy(b);
}

TEST(ObjectPool, stats_count_hits_misses_live_peak_and_slabs) {
  ObjectPool<Conn> pool("conns", ObjectPoolOptions{4, 4 * ObjectPool<Conn>::kSlotBytes});
  std::vector<Conn*> held;
  for (int i = 0; i < 6; ++i) held.push_back(pool.create(i, "x"));
  pool.destroy(held[5]);
  pool.destroy(held[4]);
  held.resize(4);
  held.push_back(pool.create(9, "y"));  // recycled
  const SlotStats& s = pool.stats();
  EXPECT_EQ(s.misses, 2u) << "two slabs of four slots";
  EXPECT_EQ(s.hits, 5u);
  EXPECT_EQ(s.live, 5u);
  EXPECT_EQ(pool.live(), 5u);
  EXPECT_EQ(s.peak, 6u);
  EXPECT_EQ(s.slabs, 2u);
  EXPECT_EQ(s.slots, 8u);
  for (Conn* c : held) pool.destroy(c);
  EXPECT_EQ(pool.live(), 0u);
}

TEST(ObjectPool, create_forwards_arguments_and_destroy_runs_the_destructor) {
  ObjectPool<Conn> pool("conns");
  Conn::alive = 0;
  Conn* c = pool.create(7, std::string(100, 'p'));
  EXPECT_EQ(c->fd, 7);
  EXPECT_EQ(c->peer.size(), 100u);
  EXPECT_EQ(Conn::alive, 1);
  pool.destroy(c);
  EXPECT_EQ(Conn::alive, 0);
  pool.destroy(nullptr);  // ignored
  EXPECT_EQ(pool.live(), 0u);
}

TEST(ObjectPool, never_returns_memory_while_alive_and_steady_state_is_upstream_free) {
  CountingResource up;
  ObjectPool<Conn> pool("conns", {}, &up);
  std::vector<Conn*> held;
  auto cycle = [&] {
    for (int i = 0; i < 200; ++i) held.push_back(pool.create(i, ""));
    for (Conn* c : held) pool.destroy(c);
    held.clear();
  };
  cycle();
  const auto warmed = up.allocations;
  for (int i = 0; i < 50; ++i) cycle();
  EXPECT_EQ(up.allocations, warmed);
  EXPECT_EQ(up.deallocations, 0u);
}

TEST(ObjectPool, slabs_grow_geometrically_until_the_byte_cap) {
  using Pool = ObjectPool<std::uint64_t>;  // 8-byte slots
  Pool pool("u64", ObjectPoolOptions{2, 8 * Pool::kSlotBytes});
  std::vector<std::size_t> slab_sizes;
  std::size_t slots = 0;
  for (int i = 0; i < 2 + 4 + 8 + 8; ++i) {
    (void)pool.create(std::uint64_t(i));
    if (pool.stats().slots != slots) {
      slab_sizes.push_back(pool.stats().slots - slots);
      slots = pool.stats().slots;
    }
  }
  EXPECT_EQ(slab_sizes, (std::vector<std::size_t>{2, 4, 8, 8}));
}

TEST(ObjectPool, throwing_constructor_gives_the_slot_back) {
  struct Picky {
    explicit Picky(int v) {
      if (v < 0) throw std::invalid_argument("negative");
    }
  };
  ObjectPool<Picky> pool("picky");
  Picky* a = pool.create(1);
  pool.destroy(a);
  EXPECT_THROW((void)pool.create(-1), std::invalid_argument);
  EXPECT_EQ(pool.live(), 0u);
  EXPECT_EQ(pool.create(2), a) << "the slot taken by the failed create was returned";
}

TEST(ObjectPool, empty_types_get_distinct_slots) {
  struct Empty {};
  ObjectPool<Empty> pool("empty");
  Empty* a = pool.create();
  Empty* b = pool.create();
  EXPECT_NE(a, nullptr);
  EXPECT_NE(a, b);
  EXPECT_GE(ObjectPool<Empty>::kSlotBytes, sizeof(void*));
}

TEST(ObjectPool, overaligned_types_are_aligned) {
  struct alignas(128) Line {
    char bytes[40];
  };
  ObjectPool<Line> pool("lines", ObjectPoolOptions{3, 1024});
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(pool.create()) % 128, 0u);
  }
  EXPECT_EQ(ObjectPool<Line>::kSlotBytes, 128u);
}

TEST(ObjectPool, reserve_lets_a_known_population_in_without_misses) {
  CountingResource up;
  ObjectPool<Conn> pool("conns", {}, &up);
  pool.reserve(1000);
  const auto after_reserve = up.allocations;
  std::vector<Conn*> held;
  for (int i = 0; i < 1000; ++i) held.push_back(pool.create(i, ""));
  EXPECT_EQ(up.allocations, after_reserve);
  EXPECT_EQ(pool.stats().misses, 0u);
  for (Conn* c : held) pool.destroy(c);
}

TEST(ObjectPool, destructor_returns_the_slabs) {
  CountingResource up;
  {
    ObjectPool<Conn> pool("conns", ObjectPoolOptions{1, 64}, &up);
    std::vector<Conn*> held;
    for (int i = 0; i < 5; ++i) held.push_back(pool.create(i, ""));
    for (Conn* c : held) pool.destroy(c);
    EXPECT_GE(up.allocations, 3u);
  }
  EXPECT_EQ(up.outstanding(), 0u);
}

#if WSALLOC_ASAN
TEST(ObjectPoolDeathTest, touching_a_destroyed_object_is_caught_by_asan) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ObjectPool<std::uint64_t> pool("u64");
  std::uint64_t* p = pool.create(std::uint64_t{5});
  pool.destroy(p);
  EXPECT_DEATH(*static_cast<volatile std::uint64_t*>(p) = 6, "use-after-poison");
}
#endif

}  // namespace
}  // namespace wsalloc::memory
