// Per-CPU time accounting from /proc/stat, for the one figure a benchmark on a virtual machine must
// watch: *steal*, the time the hypervisor ran someone else while this guest wanted the CPU. During
// steal the guest's clocks keep running but its work does not, so a measured window with steal is
// disturbed in a way no pairing inside the guest can see.
//
// Units are USER_HZ ticks (sysconf(_SC_CLK_TCK), 100 per second here): coarse, but steal that
// matters lasts many ticks.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace wsalloc::bench {

struct CpuTicks {
  int cpu = -1;            // -1 = the "cpu" line (all CPUs)
  uint64_t total = 0;      // user + nice + system + idle + iowait + irq + softirq + steal
  uint64_t steal = 0;
};

// Every "cpu" / "cpuN" line of /proc/stat; lines with fewer than 8 numbers (kernels before 2.6.11)
// are skipped, so an old kernel yields nothing rather than a wrong steal.
std::vector<CpuTicks> parse_proc_stat(std::string_view text);
std::vector<CpuTicks> read_proc_stat();

// Steal as a fraction of the elapsed ticks of `cpu` between two readings (0 when no tick elapsed);
// nullopt when that CPU is in neither reading.
std::optional<double> steal_fraction(const std::vector<CpuTicks>& earlier, const std::vector<CpuTicks>& later, int cpu);

}  // namespace wsalloc::bench
