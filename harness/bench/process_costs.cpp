#include "bench/process_costs.hpp"

#include <string>

#include "bench/proc_text.hpp"

namespace wsalloc::bench {
namespace {

uint64_t minus(uint64_t later, uint64_t earlier) noexcept { return later > earlier ? later - earlier : 0; }

std::optional<uint64_t> minus(const std::optional<uint64_t>& later, const std::optional<uint64_t>& earlier) noexcept {
  if (!later || !earlier) return std::nullopt;
  return minus(*later, *earlier);
}

}  // namespace

std::optional<std::pair<uint64_t, uint64_t>> parse_stat_faults(std::string_view stat_line) {
  auto minflt = stat_field(stat_line, 10), majflt = stat_field(stat_line, 12);
  if (!minflt || !majflt) return std::nullopt;
  return std::pair{*minflt, *majflt};
}

std::optional<std::pair<uint64_t, uint64_t>> parse_io_syscalls(std::string_view io_text) {
  auto syscr = proc_field(io_text, "syscr"), syscw = proc_field(io_text, "syscw");
  if (!syscr || !syscw) return std::nullopt;
  return std::pair{*syscr, *syscw};
}

std::optional<std::pair<uint64_t, uint64_t>> parse_status_switches(std::string_view status_text) {
  auto voluntary = proc_field(status_text, "voluntary_ctxt_switches");
  auto involuntary = proc_field(status_text, "nonvoluntary_ctxt_switches");
  if (!voluntary || !involuntary) return std::nullopt;
  return std::pair{*voluntary, *involuntary};
}

std::optional<ProcessCosts> read_process_costs(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  const auto stat = read_proc_file(base + "/stat");
  if (!stat) return std::nullopt;
  const auto faults = parse_stat_faults(*stat);
  if (!faults) return std::nullopt;
  ProcessCosts c;
  c.minor_faults = faults->first;
  c.major_faults = faults->second;
  if (const auto io = read_proc_file(base + "/io")) {
    if (const auto calls = parse_io_syscalls(*io)) {
      c.read_syscalls = calls->first;
      c.write_syscalls = calls->second;
    }
  }
  const bool alive = for_each_thread(pid, [&](pid_t tid) {
    const auto status = read_proc_file(base + "/task/" + std::to_string(tid) + "/status");
    if (!status) return;  // the thread exited while the directory was listed
    if (const auto sw = parse_status_switches(*status)) {
      c.voluntary_switches += sw->first;
      c.involuntary_switches += sw->second;
    }
  });
  if (!alive) return std::nullopt;
  return c;
}

ProcessCosts costs_between(const ProcessCosts& earlier, const ProcessCosts& later) noexcept {
  ProcessCosts d;
  d.minor_faults = minus(later.minor_faults, earlier.minor_faults);
  d.major_faults = minus(later.major_faults, earlier.major_faults);
  d.read_syscalls = minus(later.read_syscalls, earlier.read_syscalls);
  d.write_syscalls = minus(later.write_syscalls, earlier.write_syscalls);
  d.voluntary_switches = minus(later.voluntary_switches, earlier.voluntary_switches);
  d.involuntary_switches = minus(later.involuntary_switches, earlier.involuntary_switches);
  return d;
}

}  // namespace wsalloc::bench
