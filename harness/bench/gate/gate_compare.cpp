#include "bench/gate/gate_compare.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "bench/gate/gate_ab_rows.hpp"

namespace wsalloc::bench::gate {
namespace {

// Counts are per message over thousands of messages: a difference below this is the printing of a
// double, not an allocation.
constexpr double kCountEpsilon = 1e-9;

std::string meta_field(const GateDoc& d, const char* a, const char* b) {
  if (!d.meta.contains(a) || !d.meta[a].is_object() || !d.meta[a].contains(b) || !d.meta[a][b].is_string()) return "";
  return d.meta[a][b].get<std::string>();
}

bool in_scope(const Metric& m, const CompareScope& scope) {
  return scope.exact && (scope.subjects.empty() || scope.subjects.count(m.subject) != 0);
}

std::string signed_num(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e12) return fmt::format("{:+.0f}", v);
  return std::fabs(v) >= 100 ? fmt::format("{:+.1f}", v) : fmt::format("{:+.4g}", v);
}

void judge(MetricRow& row, const Thresholds& th) {
  const double base = *row.baseline, cur = *row.current;
  switch (row.kind) {
    case MetricKind::Instructions: {
      const double pct = base > 0 ? (cur - base) / base * 100.0 : (cur > 0 ? INFINITY : 0.0);
      row.delta = fmt::format("{:+.2f} %", pct);
      row.threshold = fmt::format("<= +{:.2f} %", th.instructions_max_increase_pct);
      row.verdict = pct > th.instructions_max_increase_pct + kCountEpsilon ? Verdict::Regression : Verdict::Pass;
      return;
    }
    default: {
      const double limit = th.max_increase.at(row.kind);
      row.delta = signed_num(cur - base);
      row.threshold = fmt::format("<= {}", signed_num(limit));
      row.verdict = cur - base > limit + kCountEpsilon ? Verdict::Regression : Verdict::Pass;
      return;
    }
  }
}

}  // namespace

std::string_view to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::Regression: return "REGRESSION";
    case Verdict::Missing: return "MISSING";
    case Verdict::Inconclusive: return "inconclusive";
    case Verdict::NotDone: return "NOT DONE";
    case Verdict::Pass: return "ok";
    case Verdict::New: return "new";
  }
  return "?";
}

std::optional<std::string> incompatibility(const GateDoc& baseline, const GateDoc& current,
                                           std::vector<std::string>& warnings) {
  for (const char* field : {"compiler", "flags", "build_type"}) {
    const std::string b = meta_field(baseline, "build", field), c = meta_field(current, "build", field);
    if (b.empty()) return fmt::format("the baseline records no build.{}: cannot tell whether it is comparable", field);
    if (b != c) {
      return fmt::format("build.{} differs: baseline \"{}\", current \"{}\" (instruction counts of another build mean "
                         "nothing; re-measure the baseline with --update-baseline on this build)",
                         field, b, c);
    }
  }
  const std::string bc = meta_field(baseline, "cpu", "model"), cc = meta_field(current, "cpu", "model");
  if (bc != cc) {
    warnings.push_back(fmt::format("CPU model differs: baseline \"{}\", current \"{}\": glibc picks memcpy/SHA-1 code "
                                   "by CPU features, so instruction counts may move without a code change",
                                   bc, cc));
  }
  return std::nullopt;
}

std::vector<MetricRow> compare(const GateDoc& baseline, const GateDoc& current, const Thresholds& th,
                               const CompareScope& scope) {
  std::vector<MetricRow> rows;
  for (const auto& [key, m] : baseline.metrics) {
    if (!in_scope(m, scope)) continue;
    MetricRow row;
    row.key = key;
    row.kind = m.kind;
    row.baseline = m.value;
    auto it = current.metrics.find(key);
    if (it == current.metrics.end()) {
      row.delta.assign(1, '-');  // not = "-": GCC 12 -Wrestrict false positive (PR 105651)
      row.threshold = "must be measured";
      row.verdict = Verdict::Missing;
    } else {
      row.current = it->second.value;
      judge(row, th);
    }
    rows.push_back(std::move(row));
  }
  for (const auto& [key, m] : current.metrics) {
    if (!in_scope(m, scope) || baseline.metrics.count(key)) continue;
    MetricRow row;
    row.key = key;
    row.kind = m.kind;
    row.current = m.value;
    row.delta.assign(1, '-');
    row.threshold = "not in baseline";
    row.verdict = Verdict::New;
    rows.push_back(std::move(row));
  }
  if (scope.ab && current.ab) {
    for (MetricRow& row : ab_rows(*current.ab, th.ab)) {
      if (scope.subjects.empty() || scope.subjects.count(row.key.substr(row.key.find('/') + 1))) rows.push_back(std::move(row));
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const MetricRow& a, const MetricRow& b) {
    return a.verdict != b.verdict ? a.verdict < b.verdict : a.key < b.key;
  });
  return rows;
}

bool any_failure(const std::vector<MetricRow>& rows) noexcept {
  return std::any_of(rows.begin(), rows.end(), [](const MetricRow& r) { return is_failure(r.verdict); });
}

}  // namespace wsalloc::bench::gate
