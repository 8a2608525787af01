// Shared by the report tests: the fixture files, the view built from them, and small readers of
// the rendered HTML (the embedded view JSON, a cell's text by its data attributes).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/report/report_command.hpp"
#include "bench/report/report_view.hpp"

namespace report_test {

inline std::string fixture(const char* name) { return std::string(REPORT_FIXTURES) + "/" + name; }

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline nlohmann::json results() { return wsalloc::report::read_results_file(fixture("results.json")); }
inline nlohmann::json baseline() { return wsalloc::report::read_results_file(fixture("baseline.json")); }

// The view of the fixture, with the baseline when `with_baseline`.
inline nlohmann::json fixture_view(bool with_baseline = true) {
  static const nlohmann::json r = results(), b = baseline();
  wsalloc::report::ViewInputs in;
  in.results = &r;
  in.results_name = "fixtures/results.json";
  if (with_baseline) {
    in.baseline = &b;
    in.baseline_name = "fixtures/baseline.json";
  }
  return wsalloc::report::build_report_view(in);
}

inline std::string chartjs() { return read_text(wsalloc::report::default_chartjs_path().string()); }

// The text between `open` (searched from `from`) and the next `close`; "" when absent.
inline std::string between(const std::string& s, const std::string& open, const std::string& close, size_t from = 0) {
  const size_t a = s.find(open, from);
  if (a == std::string::npos) return "";
  const size_t b = s.find(close, a + open.size());
  if (b == std::string::npos) return "";
  return s.substr(a + open.size(), b - a - open.size());
}

// The summary row of the results file for (id, target).
inline const nlohmann::json* summary_row(const nlohmann::json& res, const std::string& id, const std::string& target) {
  for (const auto& r : res["summary"]) {
    if (r["id"] == id && r["target"] == target) return &r;
  }
  return nullptr;
}

}  // namespace report_test
