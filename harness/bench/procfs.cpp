#include "bench/procfs.hpp"

#include <unistd.h>

#include <string>

#include "bench/proc_text.hpp"
#include "bench/schedstat.hpp"

namespace wsalloc::bench {

std::optional<std::pair<double, double>> parse_stat_cpu(std::string_view line, long ticks_per_second) {
  const auto utime = stat_field(line, 14), stime = stat_field(line, 15);
  if (!utime || !stime || ticks_per_second <= 0) return std::nullopt;
  const double t = static_cast<double>(ticks_per_second);
  return std::pair{static_cast<double>(*utime) / t, static_cast<double>(*stime) / t};
}

bool parse_status_memory(std::string_view text, ProcSample& out) {
  auto rss = proc_field(text, "VmRSS");
  if (!rss) return false;
  out.rss_kib = *rss;
  out.hwm_kib = proc_field(text, "VmHWM").value_or(*rss);
  out.threads = static_cast<uint32_t>(proc_field(text, "Threads").value_or(0));
  return true;
}

std::optional<ProcSample> sample_process(pid_t pid) {
  static const long ticks = ::sysconf(_SC_CLK_TCK);
  ProcSample s;
  s.at = std::chrono::steady_clock::now();
  const std::string base = "/proc/" + std::to_string(pid);
  auto stat = read_proc_file(base + "/stat");
  auto status = read_proc_file(base + "/status");
  if (!stat || !status) return std::nullopt;
  auto cpu = parse_stat_cpu(*stat, ticks);
  if (!cpu || !parse_status_memory(*status, s)) return std::nullopt;
  s.user_s = cpu->first;
  s.sys_s = cpu->second;
  if (auto ss = read_schedstat(pid)) {
    s.run_ns = ss->run_ns;
    s.wait_ns = ss->wait_ns;
  }
  s.costs = read_process_costs(pid);
  return s;
}

double cpu_seconds_between(const ProcSample& earlier, const ProcSample& later) noexcept {
  if (earlier.run_ns && later.run_ns && *later.run_ns >= *earlier.run_ns)
    return static_cast<double>(*later.run_ns - *earlier.run_ns) / 1e9;
  return later.cpu_s() - earlier.cpu_s();
}

}  // namespace wsalloc::bench
