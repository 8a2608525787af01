// Gate thresholds, from one TOML file (harness/bench/gate/thresholds.toml): how far each metric
// kind may move against the baseline, and how throughput is measured.
#pragma once

#include <map>
#include <string>

#include "bench/gate/gate_metrics.hpp"

namespace wsalloc::bench::gate {

struct Thresholds {
  // Absolute rise allowed per message for the count kinds (default 0: may not rise at all).
  std::map<MetricKind, double> max_increase = {{MetricKind::Allocations, 0.0},
                                               {MetricKind::Bytes, 0.0},
                                               {MetricKind::E2eAllocations, 0.0},
                                               {MetricKind::E2eBytes, 0.0}};
  double instructions_max_increase_pct = 3.0;
  double throughput_max_loss_pct = 25.0;
  bool throughput_confirm_by_rerun = true;
  int throughput_rounds = 3;
  double throughput_window_s = 2.0;
  double throughput_warmup_s = 0.3;
};

// Throws std::runtime_error naming the file and the key (a negative limit, a wrong type, a parse
// error with its line). Keys absent from the file keep the defaults above.
Thresholds load_thresholds(const std::string& path);

// The compiled-in default path: <source tree>/harness/bench/gate/thresholds.toml.
std::string default_thresholds_path();

}  // namespace wsalloc::bench::gate
