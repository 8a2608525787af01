#include "bench/aggregate.hpp"

#include <algorithm>
#include <map>

#include <fmt/core.h>

namespace wsalloc::bench {

std::optional<Spread> spread_of(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  Spread s;
  s.n = v.size();
  s.min = v.front();
  s.max = v.back();
  const size_t mid = v.size() / 2;
  s.median = v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return s;
}

const Spread* SummaryRow::metric(std::string_view name) const {
  for (const auto& [n, s] : metrics) {
    if (n == name) return &s;
  }
  return nullptr;
}

const std::string* SummaryRow::null_reason(std::string_view name) const {
  for (const auto& [n, r] : null_reasons) {
    if (n == name) return &r;
  }
  return nullptr;
}

nlohmann::json SummaryRow::to_json() const {
  nlohmann::json m = nlohmann::json::object();
  for (const MetricInfo& info : metric_catalogue()) {
    const Spread* s = metric(info.name);
    nlohmann::json hib = info.higher_is_better ? nlohmann::json(*info.higher_is_better) : nlohmann::json(nullptr);
    if (s) {
      m[std::string(info.name)] = {{"median", s->median}, {"min", s->min}, {"max", s->max}, {"n", s->n},
                                   {"unit", info.unit},   {"higher_is_better", hib}};
    } else {
      m[std::string(info.name)] = {{"median", nullptr}, {"min", nullptr}, {"max", nullptr}, {"n", 0},
                                   {"unit", info.unit}, {"higher_is_better", hib}};
      if (const std::string* why = null_reason(info.name)) m[std::string(info.name)]["null_reason"] = *why;
    }
  }
  return {{"id", id()},
          {"scenario", scenario},
          {"case", case_name},
          {"target", target},
          {"status", to_string(status)},
          {"reason", reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(reason)},
          {"time_runs", time_runs},
          {"time_runs_planned", time_runs_planned},
          {"metrics", m},
          {"flags", flags},
          {"counter_note", counter_note.empty() ? nlohmann::json(nullptr) : nlohmann::json(counter_note)}};
}

namespace {

bool is_count_metric(std::string_view name) {
  return name == "allocations_per_msg" || name == "alloc_bytes_per_msg" || name == "frees_per_msg" ||
         name == "allocations_per_conn";
}

}  // namespace

std::vector<SummaryRow> summarise(const std::vector<RunRecord>& records) {
  std::vector<SummaryRow> rows;
  std::map<std::tuple<std::string, std::string, std::string>, size_t> index;
  std::map<size_t, std::vector<const RunRecord*>> by_row;
  for (const RunRecord& r : records) {
    // A′ (the reference's second run of a block) is for the comparisons' noise floor only: the
    // reference's row keeps one run per repetition like every other target.
    if (std::find(r.flags.begin(), r.flags.end(), "reference_repeat") != r.flags.end()) continue;
    auto key = std::make_tuple(r.scenario, r.case_name, r.target);
    auto it = index.find(key);
    if (it == index.end()) {
      SummaryRow row;
      row.scenario = r.scenario;
      row.case_name = r.case_name;
      row.target = r.target;
      it = index.emplace(key, rows.size()).first;
      rows.push_back(std::move(row));
    }
    by_row[it->second].push_back(&r);
  }
  // Keep rows grouped by (scenario, case) in first-appearance order, targets in their order.
  for (auto& [i, recs] : by_row) {
    SummaryRow& row = rows[i];
    std::vector<const RunRecord*> time, count;
    const RunRecord* first_unmeasured = nullptr;
    bool any_errors = false;
    size_t saturated = 0, partial = 0;
    const RunRecord* first_partial = nullptr;
    for (const RunRecord* r : recs) {
      if (r->pass == RunPass::Time && r->repetition > 0) ++row.time_runs_planned;
      // Load hosts missing: the figures are of part of the load, so they stay out of the medians.
      if (std::find(r->flags.begin(), r->flags.end(), "partial_load") != r->flags.end()) {
        ++partial;
        if (!first_partial) first_partial = r;
        continue;
      }
      if (!status_has_measurement(r->status)) {
        if (!first_unmeasured && r->pass == RunPass::Time) first_unmeasured = r;
        if (r->pass == RunPass::Count && row.counter_note.empty()) row.counter_note = "counting pass: " + r->reason;
        continue;
      }
      if (r->status == RunStatus::Errors) any_errors = true;
      (r->pass == RunPass::Time ? time : count).push_back(r);
      if (std::find(r->flags.begin(), r->flags.end(), "load_generator_saturated") != r->flags.end()) ++saturated;
    }
    row.time_runs = time.size();
    if (!time.empty()) {
      row.status = any_errors ? RunStatus::Errors : RunStatus::Ok;
    } else if (first_partial) {
      row.status = RunStatus::Errors;
      row.reason = "every measured run had load hosts missing: " + first_partial->reason;
    } else if (first_unmeasured) {
      row.status = first_unmeasured->status;
      row.reason = first_unmeasured->reason;
    } else if (!recs.empty()) {
      row.status = recs.front()->status;
      row.reason = recs.front()->reason;
    }
    if (!time.empty() && time.size() < row.time_runs_planned && first_unmeasured) {
      row.flags.push_back(fmt::format("{} of {} runs failed: {}", row.time_runs_planned - time.size(),
                                      row.time_runs_planned, first_unmeasured->reason));
    }
    for (const MetricInfo& info : metric_catalogue()) {
      const auto& source = is_count_metric(info.name) ? count : time;
      std::vector<double> v;
      for (const RunRecord* r : source) {
        if (auto x = r->metrics.get(info.name)) v.push_back(*x);
      }
      if (auto s = spread_of(v)) {
        row.metrics.emplace_back(std::string(info.name), *s);
      } else if (!time.empty()) {
        // Null in every measured run for the same stated reason (a server wsbench did not start).
        const std::string* why = time.front()->metrics.null_reason(info.name);
        for (const RunRecord* r : time) {
          const std::string* w = r->metrics.null_reason(info.name);
          if (!why || !w || *w != *why) why = nullptr;
        }
        if (why) row.null_reasons.emplace_back(std::string(info.name), *why);
      }
    }
    if (partial > 0) {
      row.flags.push_back(fmt::format("partial_load ({} of {} runs, left out of the medians: {})", partial, recs.size(),
                                      first_partial->reason));
    }
    if (saturated > 0) row.flags.push_back(fmt::format("load_generator_saturated ({} of {} runs)", saturated, time.size()));
    if (any_errors) row.flags.push_back("wsload_errors");
    if (const Spread* s = row.metric("msgs_per_sec"); s && s->n >= 2 && s->median > 0 &&
                                                       (s->max - s->min) / s->median > kWideSpread) {
      row.flags.push_back(fmt::format("wide_spread ({:.0f} % of the median)", 100 * (s->max - s->min) / s->median));
    }
  }
  return rows;
}

}  // namespace wsalloc::bench
