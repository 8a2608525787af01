#include "bench/process_costs.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "bench/proc_text.hpp"

namespace wsalloc::bench {
namespace {

// minflt 4711 (field 10) and majflt 3 (field 12), behind a command name with ") (" in it.
const std::string kStat =
    "4242 (evil) (name x) S 1 4242 4242 0 -1 4194560 4711 0 3 0 250 50 0 0 20 0 3 0 12345 1000000 200 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";

TEST(ProcessCosts, faults_are_fields_10_and_12_counted_after_the_last_parenthesis) {
  const auto f = parse_stat_faults(kStat);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->first, 4711u);
  EXPECT_EQ(f->second, 3u);
  EXPECT_EQ(stat_field(kStat, 14), 250u);  // utime, as parse_stat_cpu reads it
  EXPECT_FALSE(parse_stat_faults("4242 (x) S 1 2 3 4 5 6"));
}

TEST(ProcessCosts, io_and_status_lines_are_read_by_key) {
  const auto io = parse_io_syscalls("rchar: 100\nwchar: 200\nsyscr: 31\nsyscw: 17\nread_bytes: 0\n");
  ASSERT_TRUE(io);
  EXPECT_EQ(io->first, 31u);
  EXPECT_EQ(io->second, 17u);
  EXPECT_FALSE(parse_io_syscalls("rchar: 100\nsyscr: 31\n"));
  const auto sw = parse_status_switches("Name:\tx\nvoluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t5\n");
  ASSERT_TRUE(sw);
  EXPECT_EQ(sw->first, 12u);
  EXPECT_EQ(sw->second, 5u);
}

TEST(ProcessCosts, a_difference_never_goes_below_zero_and_keeps_absent_counters_absent) {
  ProcessCosts a, b;
  a.minor_faults = 10;
  b.minor_faults = 4;  // went backwards (cannot for one process): 0, not a huge unsigned number
  a.read_syscalls = 5;
  b.read_syscalls = 9;
  b.write_syscalls = 9;  // absent in a
  const ProcessCosts d = costs_between(a, b);
  EXPECT_EQ(d.minor_faults, 0u);
  EXPECT_EQ(d.read_syscalls, 4u);
  EXPECT_FALSE(d.write_syscalls);
}

TEST(ProcessCosts, touching_fresh_pages_sleeping_and_a_pipe_are_counted) {
  const auto before = read_process_costs(::getpid());
  ASSERT_TRUE(before);
  // 64 pages touched for the first time: at least 64 minor faults (more with the kernel's own).
  constexpr size_t kPages = 64;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  void* p = ::mmap(nullptr, kPages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  for (size_t i = 0; i < kPages; ++i) static_cast<volatile char*>(p)[i * page] = 1;
  ::munmap(p, kPages * page);
  // Sleeping blocks: a voluntary switch each time.
  for (int i = 0; i < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // A read and a write system call of our own.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  char c = 'x';
  ASSERT_EQ(::write(fds[1], &c, 1), 1);
  ASSERT_EQ(::read(fds[0], &c, 1), 1);
  ::close(fds[0]);
  ::close(fds[1]);
  const auto after = read_process_costs(::getpid());
  ASSERT_TRUE(after);
  const ProcessCosts d = costs_between(*before, *after);
  EXPECT_GE(d.minor_faults, kPages);
  EXPECT_EQ(d.major_faults, 0u);
  EXPECT_GE(d.voluntary_switches, 3u);
  if (before->read_syscalls) {  // /proc/self/io is readable by its own user
    EXPECT_GE(*d.read_syscalls, 1u);
    EXPECT_GE(*d.write_syscalls, 1u);
  }
}

TEST(ProcessCosts, a_process_that_is_gone_has_no_counters) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_FALSE(read_process_costs(child));
}

}  // namespace
}  // namespace wsalloc::bench
