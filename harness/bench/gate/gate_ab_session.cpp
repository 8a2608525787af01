#include "bench/gate/gate_ab_session.hpp"

#include <stdexcept>

#include <fmt/core.h>

namespace wsalloc::bench::gate {

nlohmann::json to_json(const AbSession& s) {
  nlohmann::json blocks = nlohmann::json::object();
  for (const auto& [variant, bs] : s.blocks) {
    nlohmann::json pairs = nlohmann::json::array();
    for (const compare::Block& b : bs) pairs.push_back({b.target, b.reference});
    blocks[variant] = pairs;
  }
  nlohmann::json runs = nlohmann::json::array();
  for (const AbRun& r : s.runs) {
    runs.push_back({{"variant", r.variant}, {"build", r.build}, {"block", r.block}, {"attempt", r.attempt},
                    {"messages", r.messages}, {"run_ns", r.run_ns}, {"wait_ns", r.wait_ns}, {"slices", r.slices}, {"window_ns", r.window_ns},
                    {"wall_s", r.wall_s}, {"steal_server", r.steal_server}, {"steal_load", r.steal_load}});
  }
  return {{"status", s.status == AbStatus::Done ? "done" : "not_done"},
          {"reason", s.reason},
          {"variants", s.variants},
          {"seed", s.seed},
          {"seconds", s.seconds},
          {"base", {{"sha", s.base.sha}, {"source", s.base.source}, {"build_seconds", s.base.build_seconds},
                    {"reused", s.base.reused}}},
          {"workload", s.workload},
          {"redone_pairs", s.redone_pairs},
          {"blocks", blocks},
          {"runs", runs}};
}

AbSession ab_session_from_json(const nlohmann::json& j, std::string_view origin) {
  try {
    AbSession s;
    const std::string status = j.at("status").get<std::string>();
    if (status != "done" && status != "not_done") throw std::runtime_error(fmt::format("status \"{}\"", status));
    s.status = status == "done" ? AbStatus::Done : AbStatus::NotDone;
    s.reason = j.value("reason", "");
    s.variants = j.value("variants", std::vector<std::string>{});
    s.seed = j.value("seed", uint64_t{0});
    s.seconds = j.value("seconds", 0.0);
    if (j.contains("base")) {
      const nlohmann::json& b = j["base"];
      s.base = AbBase{b.value("sha", ""), b.value("source", ""), b.value("build_seconds", 0.0), b.value("reused", false)};
    }
    s.workload = j.value("workload", nlohmann::json::object());
    s.redone_pairs = j.value("redone_pairs", 0);
    // Locals, not temporaries: items() and the range-for would outlive a j.value(...) result.
    const nlohmann::json blocks = j.value("blocks", nlohmann::json::object());
    for (const auto& [variant, pairs] : blocks.items()) {
      for (const nlohmann::json& p : pairs) s.blocks[variant].push_back({p.at(0).get<double>(), p.at(1).get<double>()});
    }
    const nlohmann::json runs = j.value("runs", nlohmann::json::array());
    for (const nlohmann::json& r : runs) {
      s.runs.push_back(AbRun{r.at("variant"), r.at("build"), r.value("block", 0u), r.value("attempt", 0u),
                             r.value("messages", uint64_t{0}), r.value("run_ns", uint64_t{0}),
                             r.value("wait_ns", uint64_t{0}), r.value("slices", uint64_t{0}), r.value("window_ns", std::vector<double>{}),
                             r.value("wall_s", 0.0), r.value("steal_server", 0.0), r.value("steal_load", 0.0)});
    }
    return s;
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{}: \"ab\": {}", origin, e.what()));
  }
}

}  // namespace wsalloc::bench::gate
