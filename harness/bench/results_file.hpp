// results.json: the file a person, the HTML report and the CI gate read.
//
//   {
//     "schema": "wsalloc-bench-results", "schema_version": 1,
//     "meta":      {git, build, cpu, kernel, glibc, load_average, date_utc, ...}   (environment.hpp)
//     "settings":  {"command", "quick", "repetitions", "scenarios", "targets", "pinning", ...}
//     "metrics":   {"msgs_per_sec": {"unit": "msg/s", "higher_is_better": true, "description": ...}, ...}
//     "targets":   [{"name", "kind", "description", "available", "reason", "counter", "counter_note", "version",
//                    "source" (the target file, or "--target-url"), "url" (--target-url)}]
//     "scenarios": [{"name", "file", "description", "kind", "requires", "cases": [{"name", "load", "server_args"}]}]
//     "records":   [one per run, RunRecord::to_json(), in the order the runs happened]
//     "summary":   [one per (scenario, case, target), SummaryRow::to_json(): median/min/max]
//     "profiles":  [heaptrack summaries, `wsbench profile`]
//     "instructions": {"status", "valgrind", "seconds", "workloads": [...]}   (instr_step.hpp; optional:
//                  older files and runs that never reached the step have none)
//   }
// Units and direction are repeated on every metric value so that a record read alone is complete.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/run_record.hpp"
#include "bench/scenario.hpp"
#include "bench/targets.hpp"

namespace wsalloc::bench {

inline constexpr const char* kResultsSchema = "wsalloc-bench-results";
inline constexpr int kResultsSchemaVersion = 1;

nlohmann::json target_to_json(const Target& t);
nlohmann::json scenario_to_json(const Scenario& s);

struct ResultsContent {
  nlohmann::json meta;
  nlohmann::json settings;
  std::vector<Target> targets;
  std::vector<const Scenario*> scenarios;
  std::vector<RunRecord> records;
  nlohmann::json profiles = nlohmann::json::array();
  nlohmann::json instructions;  // instr_step.hpp's section; null: not written
};
// Checkpoint: written during the run (so a run killed outright keeps what it measured): the
// records so far and their summary, with "checkpoint": true and without the comparisons, whose
// bootstrap intervals over every case would cost seconds of measuring time each time. Final: all.
enum class ResultsDetail { Final, Checkpoint };
nlohmann::json build_results_json(const ResultsContent& c, ResultsDetail detail = ResultsDetail::Final);

// results_root/runs/<UTC yyyymmddThhmmssZ>-<short sha>[-dirty][-N]/, created.
std::filesystem::path create_run_dir(const std::filesystem::path& results_root, const std::string& short_sha, bool dirty);
// Writes to a temporary file and renames it over `path`: a reader never sees half a file.
void write_json_atomic(const std::filesystem::path& path, const nlohmann::json& j);
// results_root/latest -> runs/<name> (relative), replaced atomically.
void update_latest_link(const std::filesystem::path& results_root, const std::filesystem::path& run_dir);

// Checks the structure a reader relies on; returns the problems found (empty = valid).
std::vector<std::string> validate_results_json(const nlohmann::json& j);

}  // namespace wsalloc::bench
