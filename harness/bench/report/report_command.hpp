// `wsbench report RESULTS.json [--baseline OTHER.json] [-o report.html] [--markdown report.md]`:
// one self-contained HTML report (works offline: data and Chart.js inlined) and optionally its
// Markdown summary. Wiring into wsbench's main():
//
//   wsalloc::report::ReportOptions report;
//   CLI::App* report_cmd = wsalloc::report::add_report_command(app, report);   // before app.parse
//   ...
//   if (*report_cmd) return wsalloc::report::render_report(report);
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace wsalloc::report {

// Same values as wsbench's ExitCode (bench_run.hpp) so scripts read one set of codes.
enum ReportExit : int {
  kReportOk = 0,
  kReportUsage = 2,    // unreadable or not a results file (the message names the file and the problem)
  kReportHarness = 4,  // Chart.js missing, output not writable
};

// Debian libjs-chart.js's UMD build; the build can override it (CMake WSALLOC_CHARTJS).
std::filesystem::path default_chartjs_path();

struct ReportOptions {
  std::filesystem::path results;                      // required
  std::optional<std::filesystem::path> baseline;
  std::filesystem::path html_out;                     // "" = report.html beside the results file
  std::optional<std::filesystem::path> markdown_out;
  std::filesystem::path chartjs = default_chartjs_path();
  double threshold_pct = 5.0;                         // Δ worse than this = a regression in the verdict
  bool quiet = false;                                 // no "report: PATH" lines on stdout
};

// Registers the `report` subcommand on `app`, its options bound to `opts` (which must outlive the
// parse). Returns the subcommand: after app.parse(), `if (*cmd) return render_report(opts);`.
CLI::App* add_report_command(CLI::App& app, ReportOptions& opts);

// Reads the files, writes the HTML (and the Markdown); errors go to stderr. Returns a ReportExit.
int render_report(const ReportOptions& opts);

}  // namespace wsalloc::report
