// write_or_spill: the backlog goes first, what the writer does not take is copied behind it in
// order, and a dead writer is reported.
#include "variants/flush.hpp"

#include <gtest/gtest.h>

#include <memory_resource>
#include <string>

namespace wsalloc::variants {
namespace {

iovec seg(const std::string& s) { return {const_cast<char*>(s.data()), s.size()}; }

std::string backlog_text(const Backlog& b) {
  return {reinterpret_cast<const char*>(b.front().data()), b.size()};
}

class FailingWriter final : public Writer {
 public:
  ssize_t write(const iovec*, int) noexcept override { return -1; }
};

TEST(WriteOrSpill, everything_taken_is_flushed_and_nothing_is_kept) {
  StringWriter w;
  Backlog b(std::pmr::new_delete_resource());
  const std::string a = "hello ", c = "world";
  const iovec segs[] = {seg(a), seg(c)};
  EXPECT_EQ(write_or_spill(w, b, segs), WriteOutcome::Flushed);
  EXPECT_EQ(w.out, "hello world");
  EXPECT_TRUE(b.empty());
}

TEST(WriteOrSpill, a_short_write_spills_the_rest_in_order_from_mid_segment) {
  ThrottledWriter w(8);
  Backlog b(std::pmr::new_delete_resource());
  const std::string a = "hello ", c = "world", d = "!!";
  const iovec segs[] = {seg(a), seg(c), seg(d)};
  EXPECT_EQ(write_or_spill(w, b, segs), WriteOutcome::Blocked);
  EXPECT_EQ(w.out, "hello wo");
  EXPECT_EQ(backlog_text(b), "rld!!") << "the segments may die now: the rest is a copy";
}

TEST(WriteOrSpill, the_backlog_is_older_and_leaves_first) {
  ThrottledWriter w(0);
  Backlog b(std::pmr::new_delete_resource());
  const std::string first = "first ", second = "second";
  const iovec s1[] = {seg(first)};
  EXPECT_EQ(write_or_spill(w, b, s1), WriteOutcome::Blocked);
  EXPECT_EQ(backlog_text(b), "first ");
  w.set_budget(SIZE_MAX);
  const iovec s2[] = {seg(second)};
  EXPECT_EQ(write_or_spill(w, b, s2), WriteOutcome::Flushed);
  EXPECT_EQ(w.out, "first second");
  EXPECT_TRUE(b.empty());
}

TEST(WriteOrSpill, more_segments_than_one_writev_takes_are_all_written) {
  StringWriter w;
  Backlog b(std::pmr::new_delete_resource());
  std::vector<std::string> parts;
  std::vector<iovec> segs;
  std::string expected;
  for (int i = 0; i < 200; ++i) parts.push_back(std::to_string(i) + ",");
  for (const auto& p : parts) {
    segs.push_back(seg(p));
    expected += p;
  }
  EXPECT_EQ(write_or_spill(w, b, segs), WriteOutcome::Flushed);
  EXPECT_EQ(w.out, expected);
}

TEST(WriteOrSpill, a_dead_writer_is_failed) {
  FailingWriter w;
  Backlog b(std::pmr::new_delete_resource());
  const std::string a = "x";
  const iovec segs[] = {seg(a)};
  EXPECT_EQ(write_or_spill(w, b, segs), WriteOutcome::Failed);
}

}  // namespace
}  // namespace wsalloc::variants
