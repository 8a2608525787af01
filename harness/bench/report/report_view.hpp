// The report's view: everything the HTML page and report.md show, computed once from results.json
// (and an optional baseline results.json) so both outputs say the same thing. The HTML page embeds
// this JSON and draws its charts from it; the tests parse it back and compare it with the file.
//
//   {"title", "meta", "settings", "warnings": [...], "metrics": {catalogue},
//    "targets": [{"name","kind","available","reason","counter_note"}],
//    "scenarios": [{"id","scenario","case","description","kind","charts": ["throughput",...],
//                   "rows": [{"target","kind","status","reason","flags","counter_note","time_runs",
//                             "m": {"msgs_per_sec": {"median","min","max","n"[,"null_reason"]}, ...}}]}],
//    "verdict": [{"id","metric","unit","higher_is_better","best","median","min","max",
//                 "runner_up","runner_up_median","decisive","vs_malloc"}],
//    "summary_table": {"variants": [...], "rows": [{"id","cells": {variant: {...}}}]},
//    "promises": [{"promise","claim","measured","interval","verdict","why"}] (promises.hpp),
//    "instructions": null | {"status","reason","valgrind","seconds","variants","rows"} (instructions_view.hpp),
//    "allocators": {"targets": [...], "rows": [...]}, "profiles": [...],
//    "baseline": null | {"file","git","date_utc","threshold_pct","metrics":[...],"rows":[...],
//                        "regressions": [...]},
//    "load_hosts": null | {"engine","version","master","hosts": [names],
//                   "runs": [{"id","target","repetition","pass","status","partial","reason",
//                             "hosts": [{"name","shard","connections","rate","status","reason",
//                                        "msgs_per_sec","p50_us","p99_us","errors"}],
//                             "merged": {"msgs_per_sec","p50_us","p99_us","errors"}}]},
//    "commands": {"run","report","rows": [{"id","target","server","load"}]}}
//
// Values are copied from the file's summary rows, never recomputed: medians, min and max as the
// results file has them; null stays null ("not measured").
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace wsalloc::report {

// The input is not a results file this report can read (names the file and what is missing).
struct ReportInputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Metrics the baseline comparison and the summary tables show, in this order.
const std::vector<std::string>& key_metrics();

struct ViewInputs {
  const nlohmann::json* results = nullptr;   // required
  const nlohmann::json* baseline = nullptr;  // optional
  std::string results_name = "results.json";  // for messages and the page header
  std::string baseline_name;
  double threshold_pct = 5.0;  // Δ beyond this in the worse direction = a regression
  std::string report_command;  // the command that re-renders this report (shown under "reproduce")
};

// Throws ReportInputError when a required part (schema, meta, metrics, summary) is missing.
nlohmann::json build_report_view(const ViewInputs& in);

// Reads and parses a results file; throws ReportInputError naming the path on failure.
nlohmann::json read_results_file(const std::string& path);

}  // namespace wsalloc::report
