#include "bench/procfs.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string>

#include "bench/schedstat.hpp"

namespace wsalloc::bench {
namespace {

std::optional<std::string> slurp(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return std::nullopt;
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

// Value of "Key:\t  1234 kB" in /proc/PID/status.
std::optional<uint64_t> status_field(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      std::string_view rest = line.substr(key.size() + 1);
      size_t b = rest.find_first_not_of(" \t");
      if (b == std::string_view::npos) return std::nullopt;
      uint64_t v = 0;
      auto r = std::from_chars(rest.data() + b, rest.data() + rest.size(), v);
      if (r.ec != std::errc{}) return std::nullopt;
      return v;
    }
    pos = eol + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::pair<double, double>> parse_stat_cpu(std::string_view line, long ticks_per_second) {
  size_t close = line.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  // After ") ": field 3 (state) is index 0, so utime (field 14) is index 11 and stime index 12.
  std::string_view rest = line.substr(close + 1);
  uint64_t values[2] = {0, 0};
  size_t index = 0, pos = 0;
  while (pos < rest.size() && index <= 12) {
    size_t b = rest.find_first_not_of(' ', pos);
    if (b == std::string_view::npos) break;
    size_t e = rest.find(' ', b);
    if (e == std::string_view::npos) e = rest.size();
    if (index == 11 || index == 12) {
      uint64_t v = 0;
      auto r = std::from_chars(rest.data() + b, rest.data() + e, v);
      if (r.ec != std::errc{}) return std::nullopt;
      values[index - 11] = v;
    }
    ++index;
    pos = e;
  }
  if (index <= 12) return std::nullopt;
  const double t = static_cast<double>(ticks_per_second);
  return std::pair{static_cast<double>(values[0]) / t, static_cast<double>(values[1]) / t};
}

bool parse_status_memory(std::string_view text, ProcSample& out) {
  auto rss = status_field(text, "VmRSS");
  if (!rss) return false;
  out.rss_kib = *rss;
  out.hwm_kib = status_field(text, "VmHWM").value_or(*rss);
  out.threads = static_cast<uint32_t>(status_field(text, "Threads").value_or(0));
  return true;
}

std::optional<ProcSample> sample_process(pid_t pid) {
  static const long ticks = ::sysconf(_SC_CLK_TCK);
  ProcSample s;
  s.at = std::chrono::steady_clock::now();
  const std::string base = "/proc/" + std::to_string(pid);
  auto stat = slurp(base + "/stat");
  auto status = slurp(base + "/status");
  if (!stat || !status) return std::nullopt;
  auto cpu = parse_stat_cpu(*stat, ticks);
  if (!cpu || !parse_status_memory(*status, s)) return std::nullopt;
  s.user_s = cpu->first;
  s.sys_s = cpu->second;
  if (auto ss = read_schedstat(pid)) s.run_ns = ss->run_ns;
  return s;
}

double cpu_seconds_between(const ProcSample& earlier, const ProcSample& later) noexcept {
  if (earlier.run_ns && later.run_ns && *later.run_ns >= *earlier.run_ns)
    return static_cast<double>(*later.run_ns - *earlier.run_ns) / 1e9;
  return later.cpu_s() - earlier.cpu_s();
}

}  // namespace wsalloc::bench
