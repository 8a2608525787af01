#include "bench/cpu_steal.hpp"

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

constexpr const char* kStat =
    "cpu  58439 0 12720 18672 431 0 161 300 0 0\n"
    "cpu0 28945 0 6017 10169 39 0 53 100 0 0\n"
    "cpu1 29494 0 6703 8503 391 0 107 200 0 0\n"
    "intr 123 4 5\n"
    "ctxt 9999\n";

TEST(CpuSteal, every_cpu_line_is_read_with_its_steal) {
  const auto t = parse_proc_stat(kStat);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].cpu, -1);
  EXPECT_EQ(t[1].cpu, 0);
  EXPECT_EQ(t[2].cpu, 1);
  EXPECT_EQ(t[1].steal, 100u);
  EXPECT_EQ(t[1].total, 28945u + 6017 + 10169 + 39 + 53 + 100);
}

TEST(CpuSteal, fraction_is_steal_over_elapsed_ticks_of_that_cpu) {
  const auto a = parse_proc_stat(kStat);
  const auto b = parse_proc_stat(
      "cpu  58539 0 12720 18672 431 0 161 400 0 0\n"
      "cpu0 29025 0 6017 10169 39 0 53 120 0 0\n"   // +80 user, +20 steal: 20 %
      "cpu1 29494 0 6703 8503 391 0 107 200 0 0\n");
  EXPECT_DOUBLE_EQ(*steal_fraction(a, b, 0), 0.2);
  EXPECT_DOUBLE_EQ(*steal_fraction(a, b, 1), 0.0) << "no tick elapsed";
  EXPECT_FALSE(steal_fraction(a, b, 7));
}

TEST(CpuSteal, lines_without_a_steal_field_are_skipped) {
  EXPECT_TRUE(parse_proc_stat("cpu  1 2 3 4\ncpu0 1 2 3 4 5 6 7\n").empty());
}

TEST(CpuSteal, this_machine_reports_its_cpus) {
  const auto t = read_proc_stat();
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t[0].cpu, -1);
}

}  // namespace
}  // namespace wsalloc::bench
