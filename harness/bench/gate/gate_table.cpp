#include "bench/gate/gate_table.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

namespace wsalloc::bench::gate {
namespace {

std::string num(const std::optional<double>& v) {
  if (!v) return "-";  // not measured: shown as such, never as 0
  if (*v == std::floor(*v) && std::fabs(*v) < 1e12) return fmt::format("{:.0f}", *v);
  return std::fabs(*v) >= 100 ? fmt::format("{:.1f}", *v) : fmt::format("{:.4g}", *v);
}

struct Cells {
  std::string key, base, cur, delta, threshold, verdict, note;
};

std::vector<Cells> cells(const std::vector<MetricRow>& rows) {
  std::vector<Cells> out;
  for (const MetricRow& r : rows) {
    out.push_back({r.key, num(r.baseline), num(r.current), r.delta, r.threshold, std::string(to_string(r.verdict)), r.note});
  }
  return out;
}

}  // namespace

std::string terminal_table(const std::vector<MetricRow>& rows) {
  const std::vector<Cells> cs = cells(rows);
  size_t w[6] = {6, 8, 7, 5, 9, 7};
  for (const Cells& c : cs) {
    w[0] = std::max(w[0], c.key.size());
    w[1] = std::max(w[1], c.base.size());
    w[2] = std::max(w[2], c.cur.size());
    w[3] = std::max(w[3], c.delta.size());
    w[4] = std::max(w[4], c.threshold.size());
  }
  std::string out = fmt::format("{:<{}}  {:>{}}  {:>{}}  {:>{}}  {:<{}}  {}\n", "metric", w[0], "baseline", w[1],
                                "current", w[2], "delta", w[3], "threshold", w[4], "verdict");
  for (const Cells& c : cs) {
    out += fmt::format("{:<{}}  {:>{}}  {:>{}}  {:>{}}  {:<{}}  {}{}\n", c.key, w[0], c.base, w[1], c.cur, w[2], c.delta,
                       w[3], c.threshold, w[4], c.verdict, c.note.empty() ? "" : "  (" + c.note + ")");
  }
  return out;
}

std::string markdown_report(const std::vector<MetricRow>& rows, const std::vector<std::string>& warnings,
                            const std::string& summary, const std::string& extra) {
  std::string out = fmt::format("## wsbench gate\n\n**{}**\n\n", summary);
  for (const std::string& w : warnings) out += fmt::format("> warning: {}\n\n", w);
  out += extra;
  out += "| metric | baseline | current | Δ | threshold | verdict |\n|---|---:|---:|---:|---|---|\n";
  for (const Cells& c : cells(rows)) {
    const bool loud = c.verdict == "REGRESSION" || c.verdict == "MISSING" || c.verdict == "NOT DONE";
    out += fmt::format("| `{}` | {} | {} | {} | {} | {}{} |\n", c.key, c.base, c.cur, c.delta, c.threshold,
                       loud ? "**" + c.verdict + "**" : c.verdict, c.note.empty() ? "" : " (" + c.note + ")");
  }
  return out;
}

std::string summary_line(const std::vector<MetricRow>& rows) {
  size_t counts[kVerdictCount] = {};
  std::vector<std::string> failing;
  for (const MetricRow& r : rows) {
    ++counts[static_cast<int>(r.verdict)];
    if (is_failure(r.verdict)) failing.push_back(r.key);
  }
  std::string names;
  for (size_t i = 0; i < failing.size() && i < 8; ++i) names += (i ? ", " : "") + failing[i];
  if (failing.size() > 8) names += fmt::format(", ... {} more", failing.size() - 8);
  // A pass with warnings says so in its first words: an A/B that could not be done or did not
  // decide is not the same as a clean pass.
  const size_t inconclusive = counts[size_t(Verdict::Inconclusive)], not_done = counts[size_t(Verdict::NotDone)];
  std::string outcome = failing.empty() ? "PASS" : "FAIL";
  if (not_done) outcome += " (A/B NOT DONE)";
  else if (inconclusive) outcome += " (A/B inconclusive)";
  return fmt::format("gate: {} - {} regression(s), {} missing, {} inconclusive, {} not done, {} ok, {} new{}", outcome,
                     counts[size_t(Verdict::Regression)], counts[size_t(Verdict::Missing)], inconclusive, not_done,
                     counts[size_t(Verdict::Pass)], counts[size_t(Verdict::New)],
                     failing.empty() ? "" : " (" + names + ")");
}

}  // namespace wsalloc::bench::gate
