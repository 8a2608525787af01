// What /proc says about one process at one moment: CPU time (user + sys, all threads, from
// /proc/PID/stat, and the nanosecond sum from /proc/PID/task/*/schedstat), memory (VmRSS, VmHWM
// from /proc/PID/status) and the kernel's cost counters (process_costs.hpp).
//
// Resolution: CPU times are in clock ticks (sysconf(_SC_CLK_TCK), 100 per second here), so a
// 2-second window at full load is measured to about 0.5 %. VmHWM is the peak RSS since the process
// started (not since the window opened); VmRSS is sampled, so a short spike between samples is seen
// only through VmHWM.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "bench/process_costs.hpp"

namespace wsalloc::bench {

struct ProcSample {
  double user_s = 0;
  double sys_s = 0;
  uint64_t rss_kib = 0;
  uint64_t hwm_kib = 0;
  uint32_t threads = 0;
  std::chrono::steady_clock::time_point at;

  std::optional<uint64_t> run_ns;  // on-CPU time of all threads in ns (schedstat.hpp), when /proc has it
  std::optional<uint64_t> wait_ns;  // runnable but waiting for a CPU, all threads, ns (same source)
  std::optional<ProcessCosts> costs;  // page faults, read/write syscalls, context switches (process_costs.hpp)

  double cpu_s() const noexcept { return user_s + sys_s; }
};

// CPU seconds between two samples of one process: from schedstat's nanoseconds when both have
// them (a 0.5 s window resolved to 1 ns, not to 2 % as with 10 ms ticks), else from the ticks.
double cpu_seconds_between(const ProcSample& earlier, const ProcSample& later) noexcept;

// nullopt when the process is gone (or /proc cannot be read).
std::optional<ProcSample> sample_process(pid_t pid);

// The parsers, separated for tests. stat: the whole /proc/PID/stat line (the command name may
// contain spaces and parentheses: fields are counted after the LAST ')').
std::optional<std::pair<double, double>> parse_stat_cpu(std::string_view stat_line, long ticks_per_second);
// status: the whole /proc/PID/status text; fills rss, hwm, threads. false when VmRSS is missing
// (a zombie has no memory lines).
bool parse_status_memory(std::string_view status_text, ProcSample& out);

}  // namespace wsalloc::bench
