#include "bench/latency_rate.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

namespace wsalloc::bench {
namespace {

constexpr const char* kLatencyMetrics[] = {"latency_p50_us",   "latency_p90_us",    "latency_p99_us",
                                           "latency_p999_us",  "latency_p9999_us",  "latency_max_us"};

// "18.3 k msg/s -> 55 %": a trial as the notes show it.
std::string describe(const CalibrationTrial& t) {
  return fmt::format("{:.1f} k msg/s -> {:.0f} %", t.achieved / 1000, 100 * t.load_util);
}

std::string describe(const std::vector<CalibrationTrial>& trials) {
  std::string out;
  for (const CalibrationTrial& t : trials) out += (out.empty() ? "" : ", ") + describe(t);
  return out;
}

// Without any open-loop trial: the closed-loop estimate divided by the assumed open-loop factor.
CalibratedRate fallback(const CalibratedRate& closed, const std::string& why, std::vector<CalibrationTrial> trials) {
  CalibratedRate r;
  r.rate = closed.rate / kOpenLoopCostFactor;
  r.outcome = CalibrationOutcome::Fallback;
  r.source = fmt::format("{}; no open-loop calibration ({}): open-loop cost assumed {:.0f}x the closed-loop one",
                         closed.source, why, kOpenLoopCostFactor);
  for (size_t i = 0; i < trials.size(); ++i)
    r.source += fmt::format("{}{:.1f} k msg/s", i == 0 ? "; trials that measured nothing: " : ", ", trials[i].offered / 1000);
  r.trials = std::move(trials);
  return r;
}

}  // namespace

const char* to_string(CalibrationOutcome o) noexcept {
  switch (o) {
    case CalibrationOutcome::ClosedLoop: return "closed_loop";
    case CalibrationOutcome::Confirmed: return "confirmed";
    case CalibrationOutcome::Unconfirmed: return "unconfirmed";
    case CalibrationOutcome::Fallback: return "fallback";
  }
  return "?";
}

double CalibrationTrial::estimate() const noexcept {
  return load_util > 0 && achieved > 0 ? kCalibrationHeadroom * achieved / load_util : 0;
}

bool CalibrationTrial::had_headroom() const noexcept {
  return load_util < kCalibrationHeadroom && offered > 0 && std::abs(achieved - offered) / offered <= kRateTolerance;
}

nlohmann::json CalibratedRate::to_json() const {
  nlohmann::json trials_json = nlohmann::json::array();
  for (const CalibrationTrial& t : trials)
    trials_json.push_back({{"offered_rate", t.offered}, {"msgs_per_sec", t.achieved}, {"load_cpu_util", t.load_util},
                           {"rate_at_headroom", t.estimate()}, {"had_headroom", t.had_headroom()}});
  return {{"rate", rate}, {"outcome", to_string(outcome)}, {"source", source}, {"trials", trials_json}};
}

std::optional<CalibratedRate> calibrate_rate(const std::vector<std::pair<std::string, double>>& load_cpu_us_per_msg) {
  const std::pair<std::string, double>* chosen = nullptr;
  for (const auto& entry : load_cpu_us_per_msg) {
    if (!(entry.second > 0)) continue;
    if (entry.first == "rawecho") {
      chosen = &entry;
      break;
    }
    if (!chosen || entry.second > chosen->second) chosen = &entry;
  }
  if (!chosen) return std::nullopt;
  const double rate = kCalibrationHeadroom * 1e6 / chosen->second;
  return CalibratedRate{rate,
                        fmt::format("closed loop: {:.0f} % of wsload's core at its {:.2f} us/msg against {}",
                                    100 * kCalibrationHeadroom, chosen->second, chosen->first),
                        CalibrationOutcome::ClosedLoop,
                        {}};
}

std::optional<CalibratedRate> calibrate_open_loop(const std::vector<std::pair<std::string, double>>& closed_loop_us_per_msg,
                                                  const CalibrationTrialRunner& run_trial) {
  const auto closed = calibrate_rate(closed_loop_us_per_msg);
  if (!closed) return std::nullopt;
  if (!run_trial) return fallback(*closed, "rawecho is not among the targets", {});
  std::vector<CalibrationTrial> trials, failed;
  double confirmed = 0;        // the highest rate a trial ran at with wsload under 50 %
  double ceiling = 0;          // the lowest rate a trial ran at without headroom (0: none yet)
  double lowest_estimate = 0;  // R50 when no trial had headroom
  double next = kCalibrationStart * closed->rate;
  while (static_cast<int>(trials.size() + failed.size()) < kMaxCalibrationTrials) {
    const auto trial = run_trial(next);
    if (!trial || !(trial->estimate() > 0)) {
      failed.push_back(trial.value_or(CalibrationTrial{next, 0, 0}));
      continue;  // the same rate again: a failed trial says nothing about wsload's cost
    }
    trials.push_back(*trial);
    const double estimate = trial->estimate();
    lowest_estimate = lowest_estimate > 0 ? std::min(lowest_estimate, estimate) : estimate;
    if (trial->had_headroom()) {
      confirmed = std::max(confirmed, trial->offered);
      if (estimate <= (1 + kCalibrationConverged) * trial->offered) break;  // already at 50 %
      next = estimate;  // extrapolated from below: conservative
    } else {
      ceiling = ceiling > 0 ? std::min(ceiling, trial->offered) : trial->offered;
      next = kOvershootBackoff * estimate;  // extrapolated from above: optimistic, so aim lower
    }
    // Never at or over a rate that had no headroom: between the two known rates, or under the ceiling.
    if (ceiling > 0) next = std::min(next, confirmed > 0 ? (confirmed + ceiling) / 2 : kOvershootBackoff * ceiling);
    if (confirmed > 0 && next <= (1 + kCalibrationConverged) * confirmed) break;  // nothing left to gain
  }
  if (trials.empty()) return fallback(*closed, "every open-loop trial against rawecho failed", std::move(failed));
  CalibratedRate r;
  r.rate = confirmed > 0 ? confirmed : lowest_estimate;
  r.outcome = confirmed > 0 ? CalibrationOutcome::Confirmed : CalibrationOutcome::Unconfirmed;
  r.source = fmt::format("{:.0f} % of wsload's core open loop against rawecho, {} (trials {}; started at {:.2f} x the {})",
                         100 * kCalibrationHeadroom, to_string(r.outcome), describe(trials), kCalibrationStart,
                         closed->source);
  if (!failed.empty()) r.source += "; " + std::to_string(failed.size()) + " trial(s) failed";
  r.trials = std::move(trials);
  return r;
}

std::optional<CalibrationTrial> run_calibration_trial(const MeasureEnv& env, const MeasureRequest& req, nlohmann::json& runs) {
  fmt::print(stderr, "[cal] {:<28} {:<16} open loop at {:.0f} msg/s\n", req.scenario->name + "/calibration", req.target->name,
             req.load.rate);
  RunRecord rec = measure_run(env, req);
  rec.case_name = "calibration";
  runs.push_back(rec.to_json());
  const auto achieved = rec.metrics.get("msgs_per_sec"), util = rec.metrics.get("load_cpu_util");
  if (!status_has_measurement(rec.status) || !achieved || !util) {
    fmt::print(stderr, "          -> calibration: {}: {}\n", to_string(rec.status),
               rec.reason.empty() ? "no rate or wsload CPU measured" : rec.reason);
    return std::nullopt;
  }
  const CalibrationTrial t{req.load.rate, *achieved, *util};
  fmt::print(stderr, "          -> calibration: {:.0f} msg/s, wsload {:.0f} % of its core: {:.0f} % at {:.0f} msg/s\n", t.achieved,
             100 * t.load_util, 100 * kCalibrationHeadroom, t.estimate());
  return t;
}

std::optional<std::string> invalidate_unless_headroom(RunRecord& rec) {
  const auto offered = rec.metrics.get("offered_rate"), achieved = rec.metrics.get("msgs_per_sec");
  const auto load_util = rec.metrics.get("load_cpu_util");
  if (!offered || !achieved || *offered <= 0) return std::nullopt;
  std::string why;
  if (load_util && *load_util >= kMaxLoadUtil)
    why = fmt::format("wsload used {:.0f} % of its core (limit {:.0f} %)", 100 * *load_util, 100 * kMaxLoadUtil);
  const double miss = std::abs(*achieved - *offered) / *offered;
  if (miss > kRateTolerance) {
    if (!why.empty()) why += "; ";
    why += fmt::format("achieved {:.0f} msg/s of {:.0f} offered ({:.1f} % off, limit {:.0f} %)", *achieved, *offered,
                       100 * miss, 100 * kRateTolerance);
  }
  if (why.empty()) return std::nullopt;
  for (const char* m : kLatencyMetrics) rec.metrics.set_not_measured(m, "invalid run: " + why);
  rec.flags.push_back(std::string(kInvalidLatencyFlag) + ": " + why);
  return why;
}

}  // namespace wsalloc::bench
