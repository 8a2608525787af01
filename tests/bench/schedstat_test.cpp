#include "bench/schedstat.hpp"

#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

TEST(Schedstat, three_numbers_are_run_wait_and_slices_in_ns) {
  auto s = parse_schedstat("3930600 70818639 2\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->run_ns, 3930600u);
  EXPECT_EQ(s->wait_ns, 70818639u);
  EXPECT_EQ(s->slices, 2u);
  EXPECT_EQ(s->threads, 1u);
}

TEST(Schedstat, malformed_lines_are_refused) {
  EXPECT_FALSE(parse_schedstat(""));
  EXPECT_FALSE(parse_schedstat("12 34\n"));
  EXPECT_FALSE(parse_schedstat("12 34 x\n"));
  EXPECT_FALSE(parse_schedstat("12 34 56 78\n"));
}

TEST(Schedstat, delta_never_wraps_when_a_thread_left) {
  const SchedStat a{1000, 50, 3, 2}, b{900, 70, 4, 1};
  const SchedStat d = schedstat_delta(a, b);
  EXPECT_EQ(d.run_ns, 0u);
  EXPECT_EQ(d.wait_ns, 20u);
  EXPECT_EQ(d.slices, 1u);
}

// Nanosecond resolution: 20 ms of busy work in a second thread is seen as ~20 ms (a tick-based
// reading would say 0, 10 or 20 ms), and the second thread is counted.
TEST(Schedstat, own_process_sums_its_threads_with_nanosecond_resolution) {
  auto before = read_schedstat(::getpid());
  ASSERT_TRUE(before) << "no /proc/self/task/*/schedstat on this kernel";
  std::thread worker([] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
    volatile uint64_t sink = 0;
    while (std::chrono::steady_clock::now() < until) sink = sink + 1;
    auto during = read_schedstat(::getpid());
    ASSERT_TRUE(during);
    EXPECT_GE(during->threads, 2u);
  });
  worker.join();
  auto after = read_schedstat(::getpid());
  ASSERT_TRUE(after);
  EXPECT_GT(after->run_ns, before->run_ns);
  EXPECT_NE(after->run_ns % 1000000, 0u) << "not a multiple of a millisecond tick";
}

TEST(Schedstat, gone_process_reads_nothing) { EXPECT_FALSE(read_schedstat(999999999)); }

}  // namespace
}  // namespace wsalloc::bench
