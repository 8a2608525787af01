// Hand-made gate documents for the tests: a baseline of known numbers and helpers to derive a
// "current" measurement from it with one metric changed.
#pragma once

#include <string>

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
  d.metrics[metric_key(MetricKind::ThroughputRatio, "zerocopy")] =
      Metric{MetricKind::ThroughputRatio, "zerocopy", 1.4, "ratio"};
  d.metrics[metric_key(MetricKind::ThroughputRatio, "arena")] = Metric{MetricKind::ThroughputRatio, "arena", 1.1, "ratio"};
  return d;
}

inline GateDoc with_value(GateDoc d, const std::string& key, double v) {
  d.metrics.at(key).value = v;
  return d;
}

}  // namespace wsalloc::bench::gate::testing
