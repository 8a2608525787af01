#include "bench/procfs.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace wsalloc::bench {
namespace {

TEST(Procfs, stat_fields_are_counted_after_the_last_parenthesis) {
  // A command name with spaces and ") (" must not shift the fields: utime 250, stime 50 ticks.
  const std::string line =
      "4242 (evil) (name x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 12345 1000000 200 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
  auto cpu = parse_stat_cpu(line, 100);
  ASSERT_TRUE(cpu);
  EXPECT_DOUBLE_EQ(cpu->first, 2.5);
  EXPECT_DOUBLE_EQ(cpu->second, 0.5);
}

TEST(Procfs, truncated_stat_line_is_rejected) {
  EXPECT_FALSE(parse_stat_cpu("4242 (x) S 1 2 3", 100));
  EXPECT_FALSE(parse_stat_cpu("no parenthesis here", 100));
}

TEST(Procfs, status_memory_lines_are_read_in_kib) {
  ProcSample s;
  ASSERT_TRUE(parse_status_memory("Name:\tx\nVmHWM:\t    9000 kB\nVmRSS:\t    8192 kB\nThreads:\t3\n", s));
  EXPECT_EQ(s.rss_kib, 8192u);
  EXPECT_EQ(s.hwm_kib, 9000u);
  EXPECT_EQ(s.threads, 3u);
}

TEST(Procfs, zombie_without_memory_lines_is_not_sampled) {
  ProcSample s;
  EXPECT_FALSE(parse_status_memory("Name:\tx\nState:\tZ (zombie)\nThreads:\t1\n", s));
}

TEST(Procfs, own_process_has_rss_and_cpu_time_that_grows) {
  auto a = sample_process(::getpid());
  ASSERT_TRUE(a);
  EXPECT_GT(a->rss_kib, 0u);
  EXPECT_GE(a->hwm_kib, a->rss_kib);
  volatile uint64_t x = 0;
  for (int i = 0; i < 100000 && sample_process(::getpid())->cpu_s() < a->cpu_s() + 0.02; ++i) {
    for (int k = 0; k < 100000; ++k) x = x + static_cast<uint64_t>(k);
  }
  auto b = sample_process(::getpid());
  ASSERT_TRUE(b);
  EXPECT_GT(b->cpu_s(), a->cpu_s());
}

TEST(Procfs, vanished_process_gives_nullopt) { EXPECT_FALSE(sample_process(999'999'999)); }

}  // namespace
}  // namespace wsalloc::bench

namespace wsalloc::bench {
namespace {

TEST(ProcCpu, nanoseconds_when_both_samples_have_them_else_ticks) {
  ProcSample a, b;
  a.user_s = 1.00;
  b.user_s = 1.01;  // one 10 ms tick
  EXPECT_NEAR(cpu_seconds_between(a, b), 0.01, 1e-12);
  a.run_ns = 1'000'000'000;
  b.run_ns = 1'004'321'000;
  EXPECT_NEAR(cpu_seconds_between(a, b), 0.004321, 1e-12);
  b.run_ns.reset();
  EXPECT_NEAR(cpu_seconds_between(a, b), 0.01, 1e-12) << "one sample without schedstat: both from ticks";
}

TEST(ProcCpu, a_live_process_has_schedstat_nanoseconds) {
  const auto s = sample_process(::getpid());
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->run_ns) << "no /proc/self/task/*/schedstat (kernel without CONFIG_SCHED_INFO?)";
  EXPECT_GT(*s->run_ns, 0u);
}

}  // namespace
}  // namespace wsalloc::bench
