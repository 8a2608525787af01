#include "bench/results_file.hpp"

#include <unistd.h>

#include <fstream>

#include <fmt/core.h>

#include "bench/aggregate.hpp"
#include "bench/bench_comparisons.hpp"
#include "bench/clock_text.hpp"
#include "bench/metrics.hpp"

namespace fs = std::filesystem;

namespace wsalloc::bench {

nlohmann::json target_to_json(const Target& t) {
  return {{"name", t.name},
          {"kind", to_string(t.kind)},
          {"description", t.description},
          {"available", t.available},
          {"reason", t.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.reason)},
          {"counter", to_string(t.counter)},
          {"counter_note", t.counter_note.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.counter_note)},
          {"version", t.version.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.version)},
          {"source", t.source.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.source)},
          {"url", t.url.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.url)}};
}

nlohmann::json scenario_to_json(const Scenario& s) {
  nlohmann::json cases = nlohmann::json::array();
  for (const Case& c : s.cases) {
    cases.push_back({{"name", c.name}, {"load", load_to_json(c.load)}, {"quick_load", load_to_json(c.quick_load)},
                     {"server_args", c.server_args}, {"quick", c.quick}});
  }
  return {{"name", s.name},
          {"file", s.file.filename().string()},
          {"description", s.description},
          {"kind", to_string(s.kind)},
          {"needs", s.needs_note.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.needs_note)},
          {"requires",
           {{"raw", s.requires_.raw},
            {"features", s.requires_.features},
            {"server_flags", s.requires_.server_flags},
            {"targets", s.requires_.target_kinds}}},
          {"cases", cases}};
}

nlohmann::json build_results_json(const ResultsContent& c, ResultsDetail detail) {
  nlohmann::json targets = nlohmann::json::array();
  for (const Target& t : c.targets) targets.push_back(target_to_json(t));
  nlohmann::json scenarios = nlohmann::json::array();
  for (const Scenario* s : c.scenarios) scenarios.push_back(scenario_to_json(*s));
  nlohmann::json records = nlohmann::json::array();
  for (const RunRecord& r : c.records) records.push_back(r.to_json());
  nlohmann::json summary = nlohmann::json::array();
  for (const SummaryRow& row : summarise(c.records)) summary.push_back(row.to_json());
  nlohmann::json j = {{"schema", kResultsSchema},
          {"schema_version", kResultsSchemaVersion},
          {"meta", c.meta},
          {"settings", c.settings},
          {"metrics", metric_catalogue_json()},
          {"targets", targets},
          {"scenarios", scenarios},
          {"records", records},
          {"summary", summary},
          {"profiles", c.profiles}};
  if (detail == ResultsDetail::Checkpoint) {
    j["checkpoint"] = true;
  } else {
    const std::vector<BenchComparison> comparisons = compare_targets(c.records, c.targets);
    const double precision_target = c.settings.is_object() && c.settings.contains("precision_blocks")
                                        ? c.settings["precision_blocks"].value("target_half_width", kBenchDelta)
                                        : kBenchDelta;
    j["comparisons"] = comparisons_json(comparisons);
    j["precision"] = summarise_precision(comparisons, c.targets, precision_target).to_json();
  }
  if (!c.instructions.is_null()) j["instructions"] = c.instructions;
  return j;
}

fs::path create_run_dir(const fs::path& root, const std::string& short_sha, bool dirty) {
  const std::string base = fmt::format("{}-{}{}", utc_compact(std::chrono::system_clock::now()), short_sha,
                                       dirty ? "-dirty" : "");
  fs::create_directories(root / "runs");
  for (int n = 1; n < 1000; ++n) {
    fs::path p = root / "runs" / (n == 1 ? base : fmt::format("{}-{}", base, n));
    std::error_code ec;
    if (fs::create_directory(p, ec)) return p;
    if (ec) throw fs::filesystem_error("create_run_dir", p, ec);
  }
  throw std::runtime_error("create_run_dir: 999 runs with the same name under " + (root / "runs").string());
}

void write_json_atomic(const fs::path& path, const nlohmann::json& j) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
    out << j.dump(1) << '\n';
    if (!out) throw std::runtime_error("write failed: " + tmp.string());
  }
  fs::rename(tmp, path);
}

void update_latest_link(const fs::path& root, const fs::path& run_dir) {
  const fs::path link = root / "latest";
  const fs::path tmp = root / ".latest.tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_directory_symlink(fs::relative(run_dir, root), tmp);
  fs::rename(tmp, link);  // rename(2) replaces the old link atomically
}

namespace {

using T = nlohmann::json::value_t;

// Collects what is wrong with a results file, one message per problem, naming where it is.
class ResultsChecker {
 public:
  // True when obj[key] exists with the type (number_float accepts any number).
  bool need(const nlohmann::json& obj, const char* key, const std::string& where, T type) {
    if (!obj.is_object() || !obj.contains(key)) {
      problems.push_back(fmt::format("{}: missing \"{}\"", where, key));
      return false;
    }
    if (obj[key].type() != type && !(type == T::number_float && obj[key].is_number())) {
      problems.push_back(fmt::format("{}: \"{}\" has type {}", where, key, obj[key].type_name()));
      return false;
    }
    return true;
  }

  void meta(const nlohmann::json& m) {
    if (need(m, "git", "meta", T::object)) {
      need(m["git"], "sha", "meta.git", T::string);
      need(m["git"], "dirty", "meta.git", T::boolean);
    }
    if (need(m, "build", "meta", T::object)) {
      need(m["build"], "compiler", "meta.build", T::string);
      need(m["build"], "flags", "meta.build", T::string);
    }
    if (need(m, "cpu", "meta", T::object)) need(m["cpu"], "model", "meta.cpu", T::string);
    need(m, "kernel", "meta", T::string);
    need(m, "glibc", "meta", T::string);
    need(m, "date_utc", "meta", T::string);
    need(m, "load_average", "meta", T::object);
  }

  // Every catalogued metric, with its unit and a value ("median" in the summary) or null.
  void metrics(const nlohmann::json& ms, const std::string& where, bool summary) {
    for (const MetricInfo& info : metric_catalogue()) {
      const std::string k(info.name);
      if (!ms.contains(k)) {
        problems.push_back(fmt::format("{}: metric {} missing", where, k));
        continue;
      }
      const auto& v = ms[k];
      if (!v.contains("unit") || v["unit"] != info.unit) problems.push_back(fmt::format("{}: {} unit", where, k));
      if (!v.contains("higher_is_better")) problems.push_back(fmt::format("{}: {} higher_is_better", where, k));
      const char* value_key = summary ? "median" : "value";
      if (!v.contains(value_key) || !(v[value_key].is_number() || v[value_key].is_null())) {
        problems.push_back(fmt::format("{}: {} {} not a number or null", where, k, value_key));
      }
    }
  }

  void records(const nlohmann::json& records) {
    size_t i = 0;
    for (const auto& r : records) {
      const std::string where = fmt::format("records[{}]", i++);
      for (const char* k : {"scenario", "case", "target", "pass", "status"}) need(r, k, where, T::string);
      need(r, "repetition", where, T::number_unsigned);
      need(r, "commands", where, T::object);
      if (need(r, "metrics", where, T::object)) metrics(r["metrics"], where, false);
      const std::string st = r.value("status", "");
      if (st != "ok" && st != "errors" && (!r.contains("reason") || !r["reason"].is_string())) {
        problems.push_back(where + ": status " + st + " without a reason");
      }
    }
  }

  void summary(const nlohmann::json& rows) {
    size_t i = 0;
    for (const auto& r : rows) {
      const std::string where = fmt::format("summary[{}]", i++);
      for (const char* k : {"scenario", "case", "target", "status"}) need(r, k, where, T::string);
      if (need(r, "metrics", where, T::object)) metrics(r["metrics"], where, true);
    }
  }

  // Optional (results written before the comparisons existed have none); when there, the contract.
  void comparisons(const nlohmann::json& comparisons) {
    if (!comparisons.is_array()) {
      problems.push_back("top: comparisons is not an array");
      return;
    }
    size_t i = 0;
    for (const auto& c : comparisons) {
      const std::string where = fmt::format("comparisons[{}]", i++);
      for (const char* k : {"scenario", "case", "target", "reference", "metric", "verdict"}) need(c, k, where, T::string);
      need(c, "ratio", where, T::number_float);
      need(c, "blocks", where, T::number_unsigned);
      for (const char* k : {"ci_low", "ci_high"}) {
        if (!c.contains(k) || !(c[k].is_number() || c[k].is_null())) problems.push_back(where + ": " + k + " missing or not a number/null");
      }
    }
  }

  // Optional (instr_step.hpp): a status; a reason unless measured; every workload complete.
  void instructions(const nlohmann::json& s) {
    if (!s.is_object()) {
      problems.push_back("top: instructions is not an object");
      return;
    }
    if (!need(s, "status", "instructions", T::string)) return;
    const std::string st = s["status"].get<std::string>();
    if (st != "measured" && st != "skipped" && st != "failed") problems.push_back("instructions: unknown status " + st);
    if (st != "measured" && !(s.contains("reason") && s["reason"].is_string())) {
      problems.push_back("instructions: status " + st + " without a reason");
    }
    if (!need(s, "workloads", "instructions", T::array)) return;
    if (st == "measured" && s["workloads"].empty()) problems.push_back("instructions: measured, but no workloads");
    size_t i = 0;
    for (const auto& w : s["workloads"]) {
      const std::string where = fmt::format("instructions.workloads[{}]", i++);
      for (const char* k : {"workload", "subject", "per", "unit"}) need(w, k, where, T::string);
      for (const char* k : {"instructions_per_iteration", "allocations_per_iteration", "bytes_allocated_per_iteration"}) {
        need(w, k, where, T::number_float);
      }
    }
  }

  std::vector<std::string> problems;
};

}  // namespace

std::vector<std::string> validate_results_json(const nlohmann::json& j) {
  if (!j.is_object()) return {"not a JSON object"};
  ResultsChecker check;
  if (j.value("schema", "") != kResultsSchema) check.problems.push_back("schema is not wsalloc-bench-results");
  if (!j.contains("schema_version") || !j["schema_version"].is_number_integer()) {
    check.problems.push_back("top: schema_version missing or not an integer");
  }
  if (check.need(j, "meta", "top", T::object)) check.meta(j["meta"]);
  check.need(j, "metrics", "top", T::object);
  check.need(j, "targets", "top", T::array);
  check.need(j, "scenarios", "top", T::array);
  if (check.need(j, "records", "top", T::array)) check.records(j["records"]);
  if (check.need(j, "summary", "top", T::array)) check.summary(j["summary"]);
  if (j.contains("comparisons")) check.comparisons(j["comparisons"]);
  if (j.contains("instructions")) check.instructions(j["instructions"]);
  return check.problems;
}

}  // namespace wsalloc::bench
