// Hand-made gate documents for the tests: a baseline of known numbers and helpers to derive a
// "current" measurement from it with one metric changed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bench/gate/gate_metrics.hpp"

namespace wsalloc::bench::gate::testing {

inline GateDoc fixture_baseline() {
  GateDoc d;
  d.meta = {{"build", {{"compiler", "GNU 12.2.0"}, {"flags", " -O3 -DNDEBUG"}, {"build_type", "Release"}}},
            {"cpu", {{"model", "Test CPU @ 2.0GHz"}}}};
  auto put = [&](MetricKind k, const std::string& subject, const std::string& workload, double v) {
    d.metrics[metric_key(k, subject, workload)] = Metric{k, subject, v, "per message"};
  };
  put(MetricKind::Allocations, "zerocopy", "echo_32", 0);
  put(MetricKind::Allocations, "malloc", "echo_32", 4);
  put(MetricKind::Bytes, "malloc", "echo_32", 180);
  put(MetricKind::E2eAllocations, "pool", "binary_32", 0);
  put(MetricKind::E2eAllocations, "malloc", "binary_32", 5);
  put(MetricKind::E2eBytes, "malloc", "binary_32", 300);
  put(MetricKind::Instructions, "pool", "echo_32", 1000);
  put(MetricKind::Instructions, "core", "frame_parse", 40);
  return d;
}

inline GateDoc with_value(GateDoc d, const std::string& key, double v) {
  d.metrics.at(key).value = v;
  return d;
}

// An A/B session of `blocks` paired blocks per variant whose candidate/base ratio is `ratio` times
// a small alternating wobble (±2 %), so the interval has a width but a known centre.
inline AbSession ab_session(const std::map<std::string, double>& ratio_per_variant, size_t blocks = 8,
                            double wobble = 0.02) {
  AbSession s;
  s.status = AbStatus::Done;
  s.seed = 14;
  s.base = AbBase{"0123456789abcdef0123456789abcdef01234567", "results/baseline.json", 90.0, false};
  for (const auto& [variant, ratio] : ratio_per_variant) {
    s.variants.push_back(variant);
    for (size_t i = 0; i < blocks; ++i) {
      const double base = 3000.0 + 100.0 * double(i % 3);
      const double w = i % 2 ? 1 + wobble : 1 / (1 + wobble);
      s.blocks[variant].push_back({base * ratio * w, base});
    }
  }
  return s;
}

inline AbSession ab_not_done(const std::vector<std::string>& variants, const std::string& reason) {
  AbSession s;
  s.status = AbStatus::NotDone;
  s.reason = reason;
  s.variants = variants;
  return s;
}

}  // namespace wsalloc::bench::gate::testing
