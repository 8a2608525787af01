#include "load/prng.hpp"

#include <gtest/gtest.h>

#include <set>

namespace wsalloc::load {
namespace {

TEST(Prng, same_seed_same_sequence_different_seed_different_sequence) {
  Wyrand a(1), b(1), c(2);
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
}

TEST(Prng, mask_keys_do_not_repeat_in_a_long_run) {
  Wyrand r(fresh_seed());
  std::set<uint64_t> seen;
  for (int i = 0; i < 100000; ++i) seen.insert(r.next());
  EXPECT_EQ(seen.size(), 100000u);
}

TEST(Prng, fresh_seeds_differ) { EXPECT_NE(fresh_seed(), fresh_seed()); }

}  // namespace
}  // namespace wsalloc::load
