#include "bench/list_command.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/core.h>

#include "bench/bench_run.hpp"
#include "bench/case_gate.hpp"
#include "bench/results_file.hpp"
#include "bench/scenario.hpp"
#include "bench/targets.hpp"

namespace fs = std::filesystem;

namespace wsalloc::bench {

int list_command(const BenchPaths& paths, const ListOptions& o) {
  std::vector<std::string> errors;
  std::vector<Scenario> scenarios;
  try {
    scenarios = load_scenarios(paths.scenarios_dir, &errors);
  } catch (const ScenarioError& e) {
    fmt::print(stderr, "wsbench: {}\n", e.what());
    return kExitUsage;
  }
  DiscoveryOptions d;
  d.paths = paths;
  d.target_files = o.target_files;
  d.target_urls = o.target_urls;
  std::vector<std::string> target_errors;
  std::vector<Target> targets = discover_targets(d, &target_errors);
  const fs::path scratch = fs::temp_directory_path() / fmt::format("wsbench-list-{}", ::getpid());
  if (o.probe) probe_startup(targets, scratch.string());

  nlohmann::json cases = nlohmann::json::array();
  if (o.probe) {
    CaseGate gate("127.0.0.1", scratch);
    for (const Scenario& s : scenarios) {
      for (const Case& c : s.cases) {
        nlohmann::json refused = nlohmann::json::object();
        for (const Target& t : targets) {
          if (auto r = gate.check(s, c, t)) refused[t.name] = {{"status", to_string(r->status)}, {"reason", r->reason}};
        }
        cases.push_back({{"scenario", s.name}, {"case", c.name}, {"refused", refused}});
      }
    }
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);

  const size_t scenario_errors = errors.size();
  errors.insert(errors.end(), target_errors.begin(), target_errors.end());
  if (o.json) {
    nlohmann::json j = {{"scenarios", nlohmann::json::array()}, {"targets", nlohmann::json::array()},
                        {"cases", cases}, {"errors", errors}};
    for (const Scenario& s : scenarios) j["scenarios"].push_back(scenario_to_json(s));
    for (const Target& t : targets) j["targets"].push_back(target_to_json(t));
    fmt::print("{}\n", j.dump(1));
    return errors.empty() ? kExitOk : kExitUsage;
  }

  fmt::print("Scenarios ({}):\n", paths.scenarios_dir.string());
  for (const Scenario& s : scenarios) {
    std::string names;
    for (const Case& c : s.cases) names += (names.empty() ? "" : ", ") + c.name + (c.quick ? "*" : "");
    fmt::print("  {:<16} {:<16} {}\n", s.name, to_string(s.kind), s.description);
    fmt::print("  {:<16} {:<16} cases: {}{}\n", "", "", names, s.quick.included ? "   (* = in --quick)" : "");
    if (!s.needs_note.empty()) fmt::print("  {:<16} {:<16} needs: {}\n", "", "", s.needs_note);
  }
  for (size_t i = 0; i < scenario_errors; ++i) fmt::print("  BROKEN: {}\n", errors[i]);

  fmt::print("\nTargets ({} and --target-file / --target-url):\n", paths.targets_dir.string());
  for (const Target& t : targets) {
    fmt::print("  {:<16} {:<9} {}\n", t.name, to_string(t.kind),
               t.available ? t.description : "UNAVAILABLE: " + t.reason);
    if (t.kind == TargetKind::User) fmt::print("  {:<16} {:<9} from {}\n", "", "", t.source);
    if (t.available && t.counter != CounterCoverage::Full) fmt::print("  {:<16} {:<9} allocations {}\n", "", "", t.counter_note);
  }
  for (const std::string& e : target_errors) fmt::print("  BROKEN: {}\n", e);
  if (o.probe) {
    bool header = false;
    for (const auto& c : cases) {
      for (const auto& [target, r] : c["refused"].items()) {
        if (r["status"] != "skipped") continue;
        if (!header) fmt::print("\nCases a target cannot run (recorded as skipped):\n");
        header = true;
        fmt::print("  {:<28} {:<16} {}\n", c["scenario"].get<std::string>() + "/" + c["case"].get<std::string>(), target,
                   r["reason"].get<std::string>());
      }
    }
  }
  return errors.empty() ? kExitOk : kExitUsage;
}

}  // namespace wsalloc::bench
