#include "bench/schedstat.hpp"

#include <charconv>
#include <string>

#include "bench/proc_text.hpp"

namespace wsalloc::bench {
namespace {

uint64_t minus(uint64_t later, uint64_t earlier) noexcept { return later > earlier ? later - earlier : 0; }

}  // namespace

std::optional<SchedStat> parse_schedstat(std::string_view line) {
  uint64_t v[3] = {};
  const char* p = line.data();
  const char* end = line.data() + line.size();
  for (uint64_t& field : v) {
    while (p < end && *p == ' ') ++p;
    auto r = std::from_chars(p, end, field);
    if (r.ec != std::errc{}) return std::nullopt;
    p = r.ptr;
  }
  while (p < end && (*p == ' ' || *p == '\n')) ++p;
  if (p != end) return std::nullopt;
  return SchedStat{v[0], v[1], v[2], 1};
}

std::optional<SchedStat> read_schedstat(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task/";
  SchedStat sum;
  bool any = false;
  for_each_thread(pid, [&](pid_t tid) {
    const auto text = read_proc_file(dir + std::to_string(tid) + "/schedstat");
    if (!text) return;  // the thread exited while we listed the directory
    if (const auto s = parse_schedstat(*text)) {
      sum += *s;
      any = true;
    }
  });
  if (!any) return std::nullopt;
  return sum;
}

SchedStat schedstat_delta(const SchedStat& earlier, const SchedStat& later) noexcept {
  return SchedStat{minus(later.run_ns, earlier.run_ns), minus(later.wait_ns, earlier.wait_ns),
                   minus(later.slices, earlier.slices), later.threads};
}

}  // namespace wsalloc::bench
