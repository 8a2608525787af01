// Where a server's time goes besides computing: the kernel's per-process counters of page faults,
// read/write system calls and context switches, read from /proc at the start and end of a measured
// window and divided by the messages in it (issue 14: "why a message costs what it costs").
//
// Sources (proc(5)):
//   /proc/PID/stat           minflt (field 10), majflt (field 12): the whole thread group
//   /proc/PID/io             syscr, syscw: the read(2)/write(2) family (read, readv, pread, write,
//                            writev, pwrite), the whole thread group; needs the same user. The
//                            kernel counts these in its VFS read/write paths only: recv*/recvmsg
//                            and send*/sendmsg on a socket do not count (measured: the epoll
//                            server's writev replies show as ~1 syscw per echo, its recv as 0)
//   /proc/PID/task/*/status  voluntary_ctxt_switches, nonvoluntary_ctxt_switches: per thread (the
//                            process's own status file counts only its first thread), summed
// A thread that exits between two readings takes its switches with it; the servers measured keep
// their threads for their whole life. io_uring submissions are not read/write system calls: a
// uring server shows few syscr/syscw by design.
//
// Cost: one small file per source plus one per thread, about 30 µs for a 2-thread server; read twice
// per run, outside the measured traffic's critical path.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace wsalloc::bench {

struct ProcessCosts {
  uint64_t minor_faults = 0;
  uint64_t major_faults = 0;
  std::optional<uint64_t> read_syscalls;   // absent when /proc/PID/io is not readable
  std::optional<uint64_t> write_syscalls;
  uint64_t voluntary_switches = 0;         // the thread blocked (waited for I/O, a lock, a timer)
  uint64_t involuntary_switches = 0;       // the scheduler took its CPU away (preempted)
};

// The counters of a live process; nullopt when it is gone.
std::optional<ProcessCosts> read_process_costs(pid_t pid);

// later - earlier, field by field (0 where a counter went backwards; absent where either is).
ProcessCosts costs_between(const ProcessCosts& earlier, const ProcessCosts& later) noexcept;

// The parsers, separated for tests.
// stat: the whole /proc/PID/stat line (fields counted after the LAST ')', as parse_stat_cpu does).
std::optional<std::pair<uint64_t, uint64_t>> parse_stat_faults(std::string_view stat_line);
// io: the whole /proc/PID/io text -> {syscr, syscw}.
std::optional<std::pair<uint64_t, uint64_t>> parse_io_syscalls(std::string_view io_text);
// status: one thread's /proc/PID/task/TID/status text -> {voluntary, nonvoluntary}.
std::optional<std::pair<uint64_t, uint64_t>> parse_status_switches(std::string_view status_text);

}  // namespace wsalloc::bench
