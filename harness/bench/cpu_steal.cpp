#include "bench/cpu_steal.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace wsalloc::bench {
namespace {

const CpuTicks* find_cpu(const std::vector<CpuTicks>& v, int cpu) {
  for (const CpuTicks& t : v)
    if (t.cpu == cpu) return &t;
  return nullptr;
}

}  // namespace

std::vector<CpuTicks> parse_proc_stat(std::string_view text) {
  std::vector<CpuTicks> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.substr(0, 3) != "cpu") continue;
    CpuTicks t;
    const char* p = line.data() + 3;
    const char* end = line.data() + line.size();
    if (p < end && *p != ' ') {
      int n = 0;
      auto r = std::from_chars(p, end, n);
      if (r.ec != std::errc{} || (r.ptr < end && *r.ptr != ' ')) continue;
      t.cpu = n;
      p = r.ptr;
    }
    uint64_t field[8] = {};
    int got = 0;
    for (; got < 8; ++got) {
      while (p < end && *p == ' ') ++p;
      auto r = std::from_chars(p, end, field[got]);
      if (r.ec != std::errc{}) break;
      p = r.ptr;
    }
    if (got < 8) continue;
    // Fields: user nice system idle iowait irq softirq steal (guest time is already inside user).
    for (uint64_t f : field) t.total += f;
    t.steal = field[7];
    out.push_back(t);
  }
  return out;
}

std::vector<CpuTicks> read_proc_stat() {
  std::ifstream in("/proc/stat");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_proc_stat(ss.str());
}

std::optional<double> steal_fraction(const std::vector<CpuTicks>& earlier, const std::vector<CpuTicks>& later, int cpu) {
  const CpuTicks* a = find_cpu(earlier, cpu);
  const CpuTicks* b = find_cpu(later, cpu);
  if (!a || !b) return std::nullopt;
  if (b->total <= a->total) return 0.0;
  const uint64_t steal = b->steal > a->steal ? b->steal - a->steal : 0;
  return double(steal) / double(b->total - a->total);
}

}  // namespace wsalloc::bench
