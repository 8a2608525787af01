// Aggregation across repetitions: one summary row per (scenario, case, target) with the median,
// min and max of every metric over the runs that produced a measurement, and the reason when none
// did. Time metrics come from the time passes, allocation metrics from the counting pass.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/run_record.hpp"

namespace wsalloc::bench {

struct Spread {
  double median = 0, min = 0, max = 0;
  size_t n = 0;
};
// Median of the sorted values (mean of the two middle ones for an even count). nullopt when empty.
std::optional<Spread> spread_of(std::vector<double> values);

struct SummaryRow {
  std::string scenario, case_name, target;
  RunStatus status = RunStatus::Failed;  // Ok/Errors when any time pass measured; otherwise why not
  std::string reason;
  size_t time_runs = 0;                  // time passes that produced a measurement
  size_t time_runs_planned = 0;
  std::vector<std::pair<std::string, Spread>> metrics;  // catalogue order, measured ones only
  std::vector<std::pair<std::string, std::string>> null_reasons;  // unmeasured metrics the runs say why of
  std::vector<std::string> flags;        // e.g. "load_generator_saturated (2 of 3 runs)", "wide_spread"
  std::string counter_note;              // why allocation metrics are absent or partial

  std::string id() const { return case_name == "default" ? scenario : scenario + "/" + case_name; }
  const Spread* metric(std::string_view name) const;
  const std::string* null_reason(std::string_view name) const;
  nlohmann::json to_json() const;
};

// Wide spread: (max - min) / median of msgs/s (or the row's headline) above this.
inline constexpr double kWideSpread = 0.25;
// A run with this many minor page faults per message or more is flagged: a healthy server maps its
// buffers once (measured here: ~0.0002 per message); one that hands memory back to the kernel and
// touches it again (glibc trimming under 64 KiB echo, issue 14) faults on every message.
inline constexpr double kFaultsPerMsgFlag = 1.0;

// Rows in first-appearance order of (scenario, case), targets in first-appearance order.
std::vector<SummaryRow> summarise(const std::vector<RunRecord>& records);

}  // namespace wsalloc::bench
