// latency-at-rate at equal load (issue 14, item 4): every target is offered the same absolute
// rates, and a run's latency counts only when the load generator had headroom.
//
// Why: a rate relative to each target's own capacity compares targets at different loads, and a
// rate near wsload's own limit measures wsload (every target, the raw TCP echo included, is bounded
// at 90-135 k msgs/s there by the generator). So the rates are fractions of one calibrated rate:
// the rate at which wsload would use kCalibrationHeadroom of its core, from its own CPU per message
// against the raw TCP echo (rawecho) in this run's capacity case; without rawecho, the largest
// CPU per message wsload spent on any target (the most conservative). A run is then valid only if
//   - wsload used less than kMaxLoadUtil of its core (it was not the bottleneck), and
//   - the achieved rate is within kRateTolerance of the offered one (the server kept up).
// An invalid run keeps its throughput and CPU figures but its latency percentiles are nulled with
// the reason, so no report or comparison ever shows them as a latency.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/run_record.hpp"

namespace wsalloc::bench {

inline constexpr double kCalibrationHeadroom = 0.60;
inline constexpr double kMaxLoadUtil = 0.60;
inline constexpr double kRateTolerance = 0.01;
inline constexpr const char* kInvalidLatencyFlag = "invalid_latency";

struct CalibratedRate {
  double rate = 0;       // msgs/s at which wsload would use kCalibrationHeadroom of its core
  std::string source;    // how it was found, for the run's notes
};

// From wsload's CPU per message (us) per target in the capacity case; nullopt when none measured it.
std::optional<CalibratedRate> calibrate_rate(const std::vector<std::pair<std::string, double>>& load_cpu_us_per_msg);

// Checks an open-loop run; when it is invalid, flags it and nulls its latency metrics with the
// reason. Returns the reason, or nullopt when the run is valid (or had no measurement to judge).
std::optional<std::string> invalidate_unless_headroom(RunRecord& rec);

}  // namespace wsalloc::bench
