#include "bench/latency_rate.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

namespace wsalloc::bench {
namespace {

constexpr const char* kLatencyMetrics[] = {"latency_p50_us",   "latency_p90_us",    "latency_p99_us",
                                           "latency_p999_us",  "latency_p9999_us",  "latency_max_us"};

}  // namespace

std::optional<CalibratedRate> calibrate_rate(const std::vector<std::pair<std::string, double>>& load_cpu_us_per_msg) {
  const std::pair<std::string, double>* chosen = nullptr;
  for (const auto& entry : load_cpu_us_per_msg) {
    if (!(entry.second > 0)) continue;
    if (entry.first == "rawecho") {
      chosen = &entry;
      break;
    }
    if (!chosen || entry.second > chosen->second) chosen = &entry;
  }
  if (!chosen) return std::nullopt;
  const double rate = kCalibrationHeadroom * 1e6 / chosen->second;
  return CalibratedRate{rate, fmt::format("{:.0f} % of wsload's core at its {:.2f} us/msg against {}",
                                          100 * kCalibrationHeadroom, chosen->second, chosen->first)};
}

std::optional<std::string> invalidate_unless_headroom(RunRecord& rec) {
  const auto offered = rec.metrics.get("offered_rate"), achieved = rec.metrics.get("msgs_per_sec");
  const auto load_util = rec.metrics.get("load_cpu_util");
  if (!offered || !achieved || *offered <= 0) return std::nullopt;
  std::string why;
  if (load_util && *load_util >= kMaxLoadUtil)
    why = fmt::format("wsload used {:.0f} % of its core (limit {:.0f} %)", 100 * *load_util, 100 * kMaxLoadUtil);
  const double miss = std::abs(*achieved - *offered) / *offered;
  if (miss > kRateTolerance) {
    if (!why.empty()) why += "; ";
    why += fmt::format("achieved {:.0f} msg/s of {:.0f} offered ({:.1f} % off, limit {:.0f} %)", *achieved, *offered,
                       100 * miss, 100 * kRateTolerance);
  }
  if (why.empty()) return std::nullopt;
  for (const char* m : kLatencyMetrics) rec.metrics.set_not_measured(m, "invalid run: " + why);
  rec.flags.push_back(std::string(kInvalidLatencyFlag) + ": " + why);
  return why;
}

}  // namespace wsalloc::bench
