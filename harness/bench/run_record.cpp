#include "bench/run_record.hpp"

#include <algorithm>

namespace wsalloc::bench {

const char* to_string(RunPass p) noexcept { return p == RunPass::Time ? "time" : "count"; }

const char* to_string(RunStatus s) noexcept {
  switch (s) {
    case RunStatus::Ok: return "ok";
    case RunStatus::Errors: return "errors";
    case RunStatus::Failed: return "failed";
    case RunStatus::Skipped: return "skipped";
    case RunStatus::Unavailable: return "unavailable";
    case RunStatus::Disturbed: return "disturbed";
  }
  return "?";
}

bool has_flag(const RunRecord& r, std::string_view flag) { return std::find(r.flags.begin(), r.flags.end(), flag) != r.flags.end(); }

bool status_has_measurement(RunStatus s) noexcept { return s == RunStatus::Ok || s == RunStatus::Errors; }

const char* to_string(WindowSource w) noexcept {
  switch (w) {
    case WindowSource::None: return "none";
    case WindowSource::Markers: return "wsload-window";
    case WindowSource::Process: return "wsload-lifetime";
  }
  return "?";
}

nlohmann::json load_to_json(const LoadSpec& l) {
  return {{"connections", l.connections},
          {"threads", l.threads},
          {"pipeline", l.pipeline},
          {"rate", l.rate},
          {"rate_fraction", l.rate_fraction},
          {"payload", l.payload},
          {"weights", l.weights},
          {"text", l.text},
          {"fragments", l.fragments},
          {"churn", l.churn},
          {"path", l.path},
          {"duration_s", l.duration_s},
          {"warmup_s", l.warmup_s}};
}

nlohmann::json RunRecord::to_json() const {
  auto str_or_null = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  return {{"id", id()},
          {"scenario", scenario},
          {"case", case_name},
          {"target", target},
          {"repetition", repetition},
          {"round_slot", round_slot ? nlohmann::json(round_slot) : nlohmann::json(nullptr)},
          {"pass", to_string(pass)},
          {"status", to_string(status)},
          {"reason", str_or_null(reason)},
          {"started_utc", str_or_null(started_utc)},
          {"wall_s", wall_s},
          {"load", load_to_json(load)},
          {"server_args", server_args},
          {"commands", {{"server", str_or_null(server_command)}, {"load", str_or_null(load_command)}}},
          {"window", {{"source", to_string(window)}, {"seconds", window_s}}},
          {"metrics", metrics.to_json()},
          {"flags", flags},
          {"counters", counters},
          {"server_stats", server_stats},
          {"server_exit", server_exit},
          {"distributed", distributed},
          {"disturbance", disturbance ? disturbance->to_json() : nlohmann::json(nullptr)},
          {"wsload", wsload}};
}

}  // namespace wsalloc::bench
