// The comparison: a current measurement against the baseline, metric by metric, under the
// thresholds. Pure: no I/O, so the tests drive it with hand-made documents.
//
// Verdicts:
//   Regression  beyond its threshold (throughput: a loss beyond max_loss_pct in the measurement AND
//               in the confirming rerun of that comparison; without a rerun value the loss stands)
//   Missing     in the baseline but not measured now: a metric that did not run fails (STYLE 9)
//   Noise       throughput loss beyond the threshold that the rerun did not confirm
//   Pass        within the threshold (or better)
//   New         measured now, not in the baseline (run --update-baseline to adopt it)
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench/gate/gate_metrics.hpp"
#include "bench/gate/gate_thresholds.hpp"

namespace wsalloc::bench::gate {

enum class Verdict : uint8_t { Regression, Missing, Noise, Pass, New };
std::string_view to_string(Verdict v) noexcept;
constexpr bool is_failure(Verdict v) noexcept { return v == Verdict::Regression || v == Verdict::Missing; }

struct MetricRow {
  std::string key;
  MetricKind kind = MetricKind::Instructions;
  std::optional<double> baseline;
  std::optional<double> current;
  std::optional<double> rerun;    // throughput only
  std::string delta;              // "+5.00 %", "+1", "-" ...
  std::string threshold;          // "+3.00 %", "+0", "-25 %"
  Verdict verdict = Verdict::Pass;
};

// Can the two documents be compared at all? Refuses (returns the reason) when the compiler, the
// flags or the build type differ: instruction counts of another build mean nothing. A different
// CPU model only warns (glibc picks memcpy/SHA-1 paths by CPU features): `warnings` gets a line.
std::optional<std::string> incompatibility(const GateDoc& baseline, const GateDoc& current,
                                           std::vector<std::string>& warnings);

struct CompareScope {
  std::set<std::string> subjects;   // empty: all; else only metrics of these subjects are compared
  bool throughput = true;           // false: throughput_ratio metrics are not compared
};

// Every metric of either document (within scope), failing ones first, then by key.
std::vector<MetricRow> compare(const GateDoc& baseline, const GateDoc& current, const Thresholds& th,
                               const CompareScope& scope = {});

// Throughput rows whose measurement lost more than the threshold (before any rerun): the keys a
// live gate re-measures to confirm.
std::vector<std::string> throughput_losses(const GateDoc& baseline, const GateDoc& current, const Thresholds& th);

bool any_failure(const std::vector<MetricRow>& rows) noexcept;

}  // namespace wsalloc::bench::gate
