#include "bench/gate/gate_ab_rows.hpp"

#include <cmath>

#include <fmt/core.h>

namespace wsalloc::bench::gate {
namespace {

double geometric_mean(const std::vector<compare::Block>& blocks, double compare::Block::*side) {
  double sum = 0;
  for (const compare::Block& b : blocks) sum += std::log(b.*side);
  return std::exp(sum / double(blocks.size()));
}

std::string threshold_text(const AbSettings& s) {
  return fmt::format("<= +{:g} % ({:g} % CI)", s.max_cpu_increase_pct, s.confidence * 100);
}

std::string interval_text(const compare::Comparison& c) {
  if (!c.ci) return fmt::format("x{:.3f} (no interval)", c.ratio);
  return fmt::format("x{:.3f} [{:.3f}, {:.3f}]", c.ratio, c.ci->low, c.ci->high);
}

MetricRow not_done_row(const std::string& variant, const AbSession& s, const AbSettings& settings) {
  MetricRow row;
  row.key = "ab_cpu_per_msg/" + variant;
  row.kind = MetricKind::AbCpuPerMessage;
  row.delta.assign(1, '-');
  row.threshold = threshold_text(settings);
  row.verdict = Verdict::NotDone;
  row.note = "no base to compare with: see \"A/B NOT DONE\"";  // the reason, once, in the summary line
  return row;
}

}  // namespace

compare::Comparison ab_comparison(const std::vector<compare::Block>& blocks, const AbSettings& settings, uint64_t seed) {
  compare::CompareSettings cs;
  cs.confidence = settings.confidence;
  cs.delta = settings.delta_pct / 100;
  cs.direction = compare::Direction::LowerIsBetter;
  cs.bootstrap.seed = seed;
  return compare::compare_blocks(blocks, cs);
}

std::vector<MetricRow> ab_rows(const AbSession& s, const AbSettings& settings) {
  std::vector<MetricRow> rows;
  for (const std::string& variant : s.variants) {
    auto it = s.blocks.find(variant);
    if (s.status == AbStatus::NotDone || it == s.blocks.end() || it->second.empty()) {
      rows.push_back(not_done_row(variant, s, settings));
      if (s.status == AbStatus::Done) rows.back().note = "no blocks were measured for this variant";
      continue;
    }
    const compare::Comparison c = ab_comparison(it->second, settings, s.seed);
    const double limit = 1 + settings.max_cpu_increase_pct / 100;
    MetricRow row;
    row.key = "ab_cpu_per_msg/" + variant;
    row.kind = MetricKind::AbCpuPerMessage;
    row.baseline = geometric_mean(it->second, &compare::Block::reference);
    row.current = geometric_mean(it->second, &compare::Block::target);
    row.delta = interval_text(c);
    row.threshold = threshold_text(settings);
    switch (compare::against_limit(c, limit)) {
      case compare::LimitVerdict::Beyond: row.verdict = Verdict::Regression; break;
      case compare::LimitVerdict::Within: row.verdict = Verdict::Pass; break;
      case compare::LimitVerdict::Straddles: {
        row.verdict = Verdict::Inconclusive;
        auto more = compare::more_blocks_for_limit(c, limit);
        row.note = more ? fmt::format("about {} more blocks would settle it", *more) : "too few blocks for an interval";
        break;
      }
    }
    if (row.note.empty()) row.note = fmt::format("{} blocks, {}", c.blocks, compare::to_string(c.verdict));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string ab_summary_line(const AbSession& s, const AbSettings& settings) {
  const std::string base = s.base.sha.empty() ? "no base" : s.base.sha.substr(0, 10);
  if (s.status == AbStatus::NotDone) return fmt::format("gate: A/B NOT DONE ({}): {}", base, s.reason);
  std::string out = fmt::format("gate: A/B vs {} ({}), seed {}:", base, s.base.source, s.seed);
  const char* sep = " ";
  for (const MetricRow& r : ab_rows(s, settings)) {
    const std::string variant = r.key.substr(r.key.find('/') + 1);
    out += fmt::format("{}{} {} {}", sep, variant, r.delta, to_string(r.verdict));
    auto it = s.blocks.find(variant);
    if (it != s.blocks.end()) out += fmt::format(" ({} blocks)", it->second.size());
    sep = "; ";
  }
  return out;
}

std::string ab_markdown(const AbSession& s, const AbSettings& settings) {
  std::string out = "### A/B: server CPU per message, candidate / base\n\n";
  if (s.status == AbStatus::NotDone) {
    return out + fmt::format("**A/B NOT DONE**: {}. The exact gates ran; a slowdown of the server would not have "
                             "been seen.\n\n",
                             s.reason);
  }
  out += fmt::format("Base `{}` ({}), {}. ", s.base.sha.substr(0, 10), s.base.source,
                     s.base.reused ? "already built" : fmt::format("built in {:.0f} s", s.base.build_seconds));
  out += fmt::format("{} runs in {:.0f} s, seed {}, {} pair(s) measured again for steal. ", s.runs.size(), s.seconds,
                     s.seed, s.redone_pairs);
  out += fmt::format("Fails only when the whole {:g} % interval lies above +{:g} %.\n\n", settings.confidence * 100,
                     settings.max_cpu_increase_pct);
  return out;
}

}  // namespace wsalloc::bench::gate
