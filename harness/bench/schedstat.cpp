#include "bench/schedstat.hpp"

#include <dirent.h>

#include <charconv>
#include <cstdio>
#include <string>

namespace wsalloc::bench {
namespace {

std::optional<std::string> read_small(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return std::nullopt;
  char buf[256];
  const size_t n = std::fread(buf, 1, sizeof buf, f);
  std::fclose(f);
  return std::string(buf, n);
}

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
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return std::nullopt;
  SchedStat sum;
  bool any = false;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    auto text = read_small(dir + "/" + e->d_name + "/schedstat");
    if (!text) continue;  // the thread exited while we listed the directory
    auto s = parse_schedstat(*text);
    if (!s) continue;
    sum += *s;
    any = true;
  }
  ::closedir(d);
  if (!any) return std::nullopt;
  return sum;
}

SchedStat schedstat_delta(const SchedStat& earlier, const SchedStat& later) noexcept {
  return SchedStat{minus(later.run_ns, earlier.run_ns), minus(later.wait_ns, earlier.wait_ns),
                   minus(later.slices, earlier.slices), later.threads};
}

}  // namespace wsalloc::bench
