#include "bench/aggregate.hpp"

#include <algorithm>
#include <map>

#include <fmt/core.h>

#include "bench/bimodal.hpp"
#include "bench/json_optional.hpp"
#include "bench/latency_rate.hpp"

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
    nlohmann::json hib = optional_json(info.higher_is_better);
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


// One row's records sorted by what they can contribute.
struct RowRuns {
  std::vector<const RunRecord*> time, count;  // measured, by pass
  const RunRecord* first_unmeasured = nullptr;  // timed
  const RunRecord* first_partial = nullptr;
  bool any_errors = false;
  size_t saturated = 0, partial = 0;
};

// Records grouped by (scenario, case, target), rows in first-appearance order (so (scenario, case)
// groups and targets keep their order).
std::vector<std::vector<const RunRecord*>> group_records(const std::vector<RunRecord>& records, std::vector<SummaryRow>& rows) {
  std::map<std::tuple<std::string, std::string, std::string>, size_t> index;
  std::vector<std::vector<const RunRecord*>> by_row;
  for (const RunRecord& r : records) {
    // A′ (the reference's second run of a block) is for the comparisons' noise floor only: the
    // reference's row keeps one run per repetition like every other target.
    if (has_flag(r, kReferenceRepeat)) continue;
    // The precision rounds' runs (held servers, shorter windows) settle the variants' server-CPU
    // comparisons only (bench_comparisons.hpp); the rows stay the fresh servers' runs.
    if (has_flag(r, kHeldRound)) continue;
    auto key = std::make_tuple(r.scenario, r.case_name, r.target);
    auto it = index.find(key);
    if (it == index.end()) {
      SummaryRow row;
      row.scenario = r.scenario;
      row.case_name = r.case_name;
      row.target = r.target;
      it = index.emplace(key, rows.size()).first;
      rows.push_back(std::move(row));
      by_row.emplace_back();
    }
    by_row[it->second].push_back(&r);
  }
  return by_row;
}

RowRuns sort_runs(const std::vector<const RunRecord*>& recs, SummaryRow& row) {
  RowRuns runs;
  for (const RunRecord* r : recs) {
    if (r->status == RunStatus::Disturbed) continue;  // measured again: the next record stands for it
    if (r->pass == RunPass::Time && r->repetition > 0) ++row.time_runs_planned;
    // Load hosts missing: the figures are of part of the load, so they stay out of the medians.
    if (has_flag(*r, "partial_load")) {
      ++runs.partial;
      if (!runs.first_partial) runs.first_partial = r;
      continue;
    }
    if (!status_has_measurement(r->status)) {
      if (!runs.first_unmeasured && r->pass == RunPass::Time) runs.first_unmeasured = r;
      if (r->pass == RunPass::Count && row.counter_note.empty()) row.counter_note = "counting pass: " + r->reason;
      continue;
    }
    if (r->status == RunStatus::Errors) runs.any_errors = true;
    (r->pass == RunPass::Time ? runs.time : runs.count).push_back(r);
    if (has_flag(*r, "load_generator_saturated")) ++runs.saturated;
  }
  return runs;
}

void set_row_status(const RowRuns& runs, const std::vector<const RunRecord*>& recs, SummaryRow& row) {
  row.time_runs = runs.time.size();
  if (!runs.time.empty()) {
    row.status = runs.any_errors ? RunStatus::Errors : RunStatus::Ok;
  } else if (runs.first_partial) {
    row.status = RunStatus::Errors;
    row.reason = "every measured run had load hosts missing: " + runs.first_partial->reason;
  } else if (runs.first_unmeasured) {
    row.status = runs.first_unmeasured->status;
    row.reason = runs.first_unmeasured->reason;
  } else if (!recs.empty()) {
    row.status = recs.front()->status;
    row.reason = recs.front()->reason;
  }
}

// Each metric's spread over the runs of its pass; a metric null in every measured run for the
// same stated reason (a server wsbench did not start) keeps that reason.
void fill_spreads(const RowRuns& runs, SummaryRow& row) {
  for (const MetricInfo& info : metric_catalogue()) {
    const auto& source = is_count_metric(info.name) ? runs.count : runs.time;
    std::vector<double> v;
    for (const RunRecord* r : source) {
      if (auto x = r->metrics.get(info.name)) v.push_back(*x);
    }
    if (auto s = spread_of(v)) {
      row.metrics.emplace_back(std::string(info.name), *s);
    } else if (!runs.time.empty()) {
      const std::string* why = runs.time.front()->metrics.null_reason(info.name);
      for (const RunRecord* r : runs.time) {
        const std::string* w = r->metrics.null_reason(info.name);
        if (!why || !w || *w != *why) why = nullptr;
      }
      if (why) row.null_reasons.emplace_back(std::string(info.name), *why);
    }
  }
}

void add_row_flags(const RowRuns& runs, size_t record_count, SummaryRow& row) {
  if (runs.partial > 0) {
    row.flags.push_back(fmt::format("partial_load ({} of {} runs, left out of the medians: {})", runs.partial, record_count,
                                    runs.first_partial->reason));
  }
  if (runs.saturated > 0) row.flags.push_back(fmt::format("load_generator_saturated ({} of {} runs)", runs.saturated, runs.time.size()));
  if (runs.any_errors) row.flags.push_back("wsload_errors");
  // Open-loop runs whose latency was voided (latency_rate.hpp): how many, and the first reason.
  size_t invalid = 0;
  const std::string* first_reason = nullptr;
  for (const RunRecord* r : runs.time) {
    for (const std::string& f : r->flags) {
      if (f.rfind(kInvalidLatencyFlag, 0) != 0) continue;
      if (!invalid++) first_reason = &f;
    }
  }
  if (invalid > 0) {
    row.flags.push_back(fmt::format("invalid_latency ({} of {} runs, left out of the latency figures: {})", invalid,
                                    runs.time.size(), first_reason->substr(std::string_view(kInvalidLatencyFlag).size() + 2)));
  }
  if (const Spread* s = row.metric("msgs_per_sec"); s && s->n >= 2 && s->median > 0 &&
                                                     (s->max - s->min) / s->median > kWideSpread) {
    row.flags.push_back(fmt::format("wide_spread ({:.0f} % of the median)", 100 * (s->max - s->min) / s->median));
  }
  // Two states, not noise (bimodal.hpp): both clusters named, since the median describes neither.
  for (const char* metric : {"msgs_per_sec", "server_cpu_us_per_msg"}) {
    std::vector<double> v;
    for (const RunRecord* r : runs.time)
      if (auto x = r->metrics.get(metric)) v.push_back(*x);
    if (const auto b = find_bimodal(v)) {
      row.flags.push_back(fmt::format("bimodal {}: {}", metric, describe(*b)));
      break;
    }
  }
  if (const Spread* f = row.metric("minor_faults_per_msg"); f && f->max >= kFaultsPerMsgFlag) {
    row.flags.push_back(fmt::format("page_faults (up to {:.3g} per message, median {:.3g})", f->max, f->median));
  }
}

}  // namespace

std::vector<SummaryRow> summarise(const std::vector<RunRecord>& records) {
  std::vector<SummaryRow> rows;
  const std::vector<std::vector<const RunRecord*>> by_row = group_records(records, rows);
  for (size_t i = 0; i < rows.size(); ++i) {
    SummaryRow& row = rows[i];
    const std::vector<const RunRecord*>& recs = by_row[i];
    const RowRuns runs = sort_runs(recs, row);
    set_row_status(runs, recs, row);
    if (!runs.time.empty() && runs.time.size() < row.time_runs_planned && runs.first_unmeasured) {
      row.flags.push_back(fmt::format("{} of {} runs failed: {}", row.time_runs_planned - runs.time.size(),
                                      row.time_runs_planned, runs.first_unmeasured->reason));
    }
    fill_spreads(runs, row);
    add_row_flags(runs, recs.size(), row);
  }
  return rows;
}

}  // namespace wsalloc::bench
