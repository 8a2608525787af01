// Gate thresholds, from one TOML file (harness/bench/gate/thresholds.toml): how far each exact
// metric may move against the baseline, and how the A/B run of the server is measured and judged.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "bench/gate/gate_metrics.hpp"

namespace wsalloc::bench::gate {

// The A/B run (gate_ab.hpp): the candidate's wsalloc-server against the base commit's, paired.
struct AbSettings {
  double max_cpu_increase_pct = 10.0;  // fail only when the whole interval lies above +10 %
  double confidence = 0.99;
  double delta_pct = 5.0;              // "equivalent" in the printed verdict: within ±5 %
  int min_blocks = 8;                  // 99 % needs >= 8 (compare/bootstrap.hpp)
  int max_blocks = 16;                 // undecided variants get more blocks, two at a time, up to this
  uint64_t messages = 512'000;         // per window: fixed work, all sent at once, echoed by wsload
  int connections = 256;               // messages / connections in flight on each (gate_ab.hpp)
  int payload = 32;
  double max_steal_pct = 10.0;         // a pair with more steal on either CPU is measured again
  // In flight per connection: all of a window's messages, spread over the connections (rounded up).
  uint64_t pipeline() const noexcept { return (messages + uint64_t(connections) - 1) / uint64_t(connections); }
};

struct Thresholds {
  // Absolute rise allowed per message for the count kinds (default 0: may not rise at all).
  std::map<MetricKind, double> max_increase = {{MetricKind::Allocations, 0.0},
                                               {MetricKind::Bytes, 0.0},
                                               {MetricKind::E2eAllocations, 0.0},
                                               {MetricKind::E2eBytes, 0.0}};
  double instructions_max_increase_pct = 3.0;
  AbSettings ab;
};

// Throws std::runtime_error naming the file and the key (a negative limit, a wrong type, a value
// out of range, a parse error with its line). Keys absent from the file keep the defaults above.
Thresholds load_thresholds(const std::string& path);

// The compiled-in default path: <source tree>/harness/bench/gate/thresholds.toml.
std::string default_thresholds_path();

}  // namespace wsalloc::bench::gate
