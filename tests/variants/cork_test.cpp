// Cork: the zerocopy variant's per-loop output batch: copies coalesce into one segment,
// references stay where they are, and unreserve gives back room.
#include "variants/cork.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace wsalloc::variants {
namespace {

std::string joined(const Cork& c) {
  std::string out;
  for (const iovec& s : c.segments()) out.append(static_cast<const char*>(s.iov_base), s.iov_len);
  return out;
}

TEST(Cork, consecutive_copies_share_one_segment) {
  Cork c;
  c.copy("ab", 2);
  c.copy("cd", 2);
  EXPECT_EQ(c.segments().size(), 1u);
  EXPECT_EQ(joined(c), "abcd");
  EXPECT_EQ(c.room(), Cork::kBytes - 4);
}

TEST(Cork, a_reference_is_not_copied_and_splits_the_copies_around_it) {
  Cork c;
  const std::string big(5000, 'x');
  c.copy("h1", 2);
  c.reference(big.data(), big.size());
  c.copy("h2", 2);
  ASSERT_EQ(c.segments().size(), 3u);
  EXPECT_EQ(c.segments()[1].iov_base, big.data()) << "referenced where it lies";
  EXPECT_EQ(c.room(), Cork::kBytes - 4) << "a reference takes no room";
  EXPECT_EQ(joined(c), "h1" + big + "h2");
}

TEST(Cork, unreserve_gives_back_the_unused_tail_of_a_reservation) {
  Cork c;
  c.copy("hd", 2);
  uint8_t* p = c.reserve(100);
  std::memcpy(p, "xyz", 3);
  c.unreserve(97);
  EXPECT_EQ(joined(c), "hdxyz");
  EXPECT_EQ(c.room(), Cork::kBytes - 5);
  c.clear();
  c.reserve(10);
  c.unreserve(10);
  EXPECT_TRUE(c.empty()) << "a reservation given back whole leaves no empty segment";
}

TEST(Cork, clear_empties_it_for_the_next_connection) {
  Cork c;
  c.copy("abc", 3);
  c.clear();
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.room(), Cork::kBytes);
  EXPECT_TRUE(c.has_segments_for(Cork::kMaxSegments));
  EXPECT_FALSE(c.has_segments_for(Cork::kMaxSegments + 1));
}

}  // namespace
}  // namespace wsalloc::variants
