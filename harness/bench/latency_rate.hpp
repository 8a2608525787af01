// latency-at-rate at equal load (issue 14, item 4): every target is offered the same absolute
// rates, and a run's latency counts only when the load generator had headroom.
//
// Why: a rate relative to each target's own capacity compares targets at different loads, and a
// rate near wsload's own limit measures wsload (every target, the raw TCP echo included, is bounded
// at 90-135 k msgs/s there by the generator). So the rates are fractions of one calibrated rate
// R50: the rate at which wsload would use kCalibrationHeadroom (50 %) of its core OPEN loop. The
// gap to kMaxLoadUtil (60 %, the runs' own check) is for the machine's slow phases: the same
// wsload cost 35 % more per message in the 80 % case of one `make bench` than in its calibration
// minutes earlier (58 against 43 us/msg, rawecho included), and with R60 its runs landed at
// 59-62 % of wsload's core, two in three invalid.
//
// Why open loop: open loop wsload sleeps until each message's due time, so every message costs it
// a timer wake-up and a send of its own, where closed loop one wake-up serves a batch of echoes. In
// the `make bench` that motivated this, wsload spent 8.2 us/msg closed loop against rawecho but
// 23.4 us/msg open loop at 36.7 k msg/s: a rate derived from the closed-loop cost put wsload at
// 86-98 % of its core, and every run was invalid.
//
// The calibration (calibrate_open_loop), before the scenario's first rate case: wsload open loop
// against the raw TCP echo (rawecho, a fresh server per trial, pinned like every run), at most
// kMaxCalibrationTrials trials of the case's own load:
//   1. the first at kCalibrationStart x the closed-loop estimate (calibrate_rate), low on purpose:
//      wsload's open-loop cost per message FALLS as the rate rises (a wake-up serves fewer messages
//      at low rates), so an estimate extrapolated from below (u < 50 %) is conservative;
//   2. each trial's open-loop cost u/R (wsload's share of its core over the achieved rate) gives an
//      estimate 0.5 x R / u of the rate at 50 %; the next trial runs there when the trial had
//      headroom, at kOvershootBackoff x the estimate when it had not (from above it is optimistic),
//      and never at or over a rate that had no headroom;
//   3. R50 is the highest rate a trial RAN at with wsload under 50 % and the rate achieved: a
//      measured rate, not an extrapolated one (confirmed). The trials stop early when a trial's
//      estimate is within kCalibrationConverged of its own rate. When no trial had headroom, R50 is
//      the lowest estimate (unconfirmed; the rate cases' own checks still guard every run).
// Without rawecho among the targets (or when its trials fail), R50 falls back to the most
// expensive target's closed-loop cost x kOpenLoopCostFactor, and the rate cases' notes say so.
//
// A rate-case run is then valid only if
//   - wsload used less than kMaxLoadUtil of its core (it was not the bottleneck), and
//   - the achieved rate is within kRateTolerance of the offered one (the server kept up).
// An invalid run keeps its throughput and CPU figures but its latency percentiles are nulled with
// the reason, so no report or comparison ever shows them as a latency.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/measure.hpp"
#include "bench/run_record.hpp"

namespace wsalloc::bench {

inline constexpr double kCalibrationHeadroom = 0.50;
inline constexpr double kMaxLoadUtil = 0.60;
inline constexpr double kRateTolerance = 0.01;
inline constexpr const char* kInvalidLatencyFlag = "invalid_latency";
// The first open-loop trial's rate as a share of the closed-loop estimate. 0.25 keeps wsload under
// 50 % as long as its open-loop cost is under 4x its closed-loop one (2.85x at 36.7 k msg/s in the
// motivating run, more at lower rates).
inline constexpr double kCalibrationStart = 0.25;
inline constexpr int kMaxCalibrationTrials = 3;
// Close enough to 50 %: a trial whose estimate is within this share above its own rate ends the
// calibration (another trial would gain less than this).
inline constexpr double kCalibrationConverged = 0.05;
// After a trial over 50 %, the next one aims this far under its estimate, to be below again: an
// estimate from above is optimistic (the cost per message is higher at the lower rate).
inline constexpr double kOvershootBackoff = 0.8;
// Without an open-loop trial: open-loop cost assumed to be this many times the closed-loop one.
inline constexpr double kOpenLoopCostFactor = 4.0;

enum class CalibrationOutcome : uint8_t {
  ClosedLoop,   // calibrate_rate alone: the closed-loop cost (the start of the open-loop calibration)
  Confirmed,    // open loop: R50 is a rate a trial ran at with wsload under 50 %, the rate achieved
  Unconfirmed,  // open loop: no trial had headroom; R50 is the lowest estimate (the runs' checks still guard)
  Fallback,     // no open-loop trial measured (no rawecho, or its trials failed): closed loop x kOpenLoopCostFactor
};
const char* to_string(CalibrationOutcome o) noexcept;

// One open-loop trial against rawecho.
struct CalibrationTrial {
  double offered = 0;    // msg/s asked
  double achieved = 0;   // msg/s measured
  double load_util = 0;  // wsload CPU time / window wall time
  // The rate at which wsload would use kCalibrationHeadroom of its core at this trial's cost per
  // message (load_util / achieved); 0 when the trial measured no cost.
  double estimate() const noexcept;
  // wsload under kCalibrationHeadroom and the achieved rate within kRateTolerance of the offered one.
  bool had_headroom() const noexcept;
};

struct CalibratedRate {
  double rate = 0;       // msgs/s at which wsload would use kCalibrationHeadroom of its core
  std::string source;    // how it was found, for the run's notes
  CalibrationOutcome outcome = CalibrationOutcome::ClosedLoop;
  std::vector<CalibrationTrial> trials;  // open loop, in the order they ran
  nlohmann::json to_json() const;
};

// The CLOSED-loop estimate, from wsload's CPU per message (us) per target in the capacity case:
// against rawecho, else the most expensive target. nullopt when none measured it.
std::optional<CalibratedRate> calibrate_rate(const std::vector<std::pair<std::string, double>>& load_cpu_us_per_msg);

// Runs one open-loop trial at `rate` msg/s against rawecho; nullopt when it produced no measurement.
using CalibrationTrialRunner = std::function<std::optional<CalibrationTrial>(double rate)>;

// R50 from open-loop trials (the steps above), started from the closed-loop costs; `run_trial` is
// empty when rawecho is not a target. nullopt only when no cost at all was measured.
std::optional<CalibratedRate> calibrate_open_loop(const std::vector<std::pair<std::string, double>>& closed_loop_us_per_msg,
                                                  const CalibrationTrialRunner& run_trial);

// One open-loop trial (req.load.rate, against rawecho) through measure_run, announced on the progress
// lines as "calibration"; its record, renamed to case "calibration", is appended to `runs` (the run
// keeps it in results.json's settings: it is no target's measurement). nullopt when it measured nothing.
std::optional<CalibrationTrial> run_calibration_trial(const MeasureEnv& env, const MeasureRequest& req, nlohmann::json& runs);

// Checks an open-loop run; when it is invalid, flags it and nulls its latency metrics with the
// reason. Returns the reason, or nullopt when the run is valid (or had no measurement to judge).
std::optional<std::string> invalidate_unless_headroom(RunRecord& rec);

}  // namespace wsalloc::bench
