// A process's CPU time in nanoseconds, from /proc/PID/task/*/schedstat.
//
// Why not /proc/PID/stat: its utime/stime are in clock ticks (10 ms here), so a 0.5 s window is
// resolved to 2 %; schedstat's first field is the scheduler's own sum_exec_runtime in ns. Its
// second field is the time the task was runnable but waiting for a CPU (another process had it):
// how crowded the server's core was, a disturbance indicator. Its third counts timeslices.
//
// The sum is over the threads alive at the moment of reading: a thread that exited in between
// takes its time with it. The servers this reads keep their threads for their whole life.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace wsalloc::bench {

struct SchedStat {
  uint64_t run_ns = 0;     // on a CPU
  uint64_t wait_ns = 0;    // runnable, waiting on a run queue
  uint64_t slices = 0;     // times it was scheduled in
  uint32_t threads = 0;    // tasks summed

  SchedStat& operator+=(const SchedStat& o) noexcept {
    run_ns += o.run_ns;
    wait_ns += o.wait_ns;
    slices += o.slices;
    threads += o.threads;
    return *this;
  }
};

// "12345 678 9\n" -> {12345, 678, 9, threads 1}; nullopt unless three unsigned numbers.
std::optional<SchedStat> parse_schedstat(std::string_view line);

// The sum over every thread of `pid`; nullopt when the process is gone or /proc has no schedstat
// (a kernel without CONFIG_SCHED_INFO).
std::optional<SchedStat> read_schedstat(pid_t pid);

// The difference of two readings of the same process (later − earlier, each field; a field that
// went backwards, i.e. a thread exited, gives 0 rather than wrapping).
SchedStat schedstat_delta(const SchedStat& earlier, const SchedStat& later) noexcept;

}  // namespace wsalloc::bench
