// The comparison: a current measurement against the baseline, metric by metric, under the
// thresholds. Pure: no I/O, so the tests drive it with hand-made documents.
//
// Verdicts:
//   Regression    beyond its threshold (A/B: the whole confidence interval lies beyond it)
//   Missing       in the baseline but not measured now: a metric that did not run fails (STYLE 9)
//   Inconclusive  A/B only: the interval contains the threshold; warns, never fails
//   NotDone       A/B only: no base to compare with (not found, not buildable); warns, never fails,
//                 and the summary says so (a gate that could not look must not read as a clean pass)
//   Pass          within the threshold (or better)
//   New           measured now, not in the baseline (run --update-baseline to adopt it)
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench/gate/gate_metrics.hpp"
#include "bench/gate/gate_thresholds.hpp"

namespace wsalloc::bench::gate {

enum class Verdict : uint8_t { Regression, Missing, Inconclusive, NotDone, Pass, New };
inline constexpr size_t kVerdictCount = 6;
std::string_view to_string(Verdict v) noexcept;
constexpr bool is_failure(Verdict v) noexcept { return v == Verdict::Regression || v == Verdict::Missing; }
constexpr bool is_warning(Verdict v) noexcept { return v == Verdict::Inconclusive || v == Verdict::NotDone; }

struct MetricRow {
  std::string key;
  MetricKind kind = MetricKind::Instructions;
  std::optional<double> baseline;
  std::optional<double> current;
  std::string delta;              // "+5.00 %", "+1", "x1.004 [0.985, 1.024]", "-" ...
  std::string threshold;          // "<= +3.00 %", "<= +0", "<= +10 % (99 % CI)"
  Verdict verdict = Verdict::Pass;
  std::string note;               // A/B: how many more blocks would settle it, or why it was not done
};

// Can the two documents be compared at all? Refuses (returns the reason) when the compiler, the
// flags or the build type differ: instruction counts of another build mean nothing. A different
// CPU model only warns (glibc picks memcpy/SHA-1 paths by CPU features): `warnings` gets a line.
std::optional<std::string> incompatibility(const GateDoc& baseline, const GateDoc& current,
                                           std::vector<std::string>& warnings);

struct CompareScope {
  std::set<std::string> subjects;   // empty: all; else only metrics of these subjects are compared
  bool exact = true;                // false: the exact metrics are not compared (only the A/B)
  bool ab = true;                   // false: the A/B session (if any) is not judged
};

// Every metric of either document (within scope), then the rows of current.ab (gate_ab_rows.hpp);
// failing ones first, then warnings, then by key.
std::vector<MetricRow> compare(const GateDoc& baseline, const GateDoc& current, const Thresholds& th,
                               const CompareScope& scope = {});

bool any_failure(const std::vector<MetricRow>& rows) noexcept;

}  // namespace wsalloc::bench::gate
