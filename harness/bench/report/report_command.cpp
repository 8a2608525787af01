#include "bench/report/report_command.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "bench/report/report_html.hpp"
#include "bench/report/report_markdown.hpp"
#include "bench/report/report_view.hpp"

namespace fs = std::filesystem;

namespace wsalloc::report {
namespace {

// Writes beside the target and renames over it: a browser or CI never reads half a report.
void write_atomic(const fs::path& path, const std::string& text) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
    out << text;
    if (!out) throw std::runtime_error(fmt::format("write failed: {} ({} bytes)", tmp.string(), text.size()));
  }
  fs::rename(tmp, path);
}

std::string quoted(const fs::path& p) {
  const std::string s = p.string();
  return s.find_first_of(" '\"$") == std::string::npos ? s : "'" + s + "'";
}

}  // namespace

fs::path default_chartjs_path() {
#ifdef WSALLOC_CHARTJS
  return WSALLOC_CHARTJS;
#else
  return "/usr/share/javascript/chart.js/chart.min.js";
#endif
}

CLI::App* add_report_command(CLI::App& app, ReportOptions& opts) {
  CLI::App* cmd = app.add_subcommand(
      "report", "render a results.json (and optionally a baseline) into one offline HTML report and report.md");
  cmd->add_option("results", opts.results, "results file (e.g. results/latest/results.json)")->required();
  cmd->add_option("--baseline,-b", opts.baseline, "results file to compare with (e.g. results/baseline.json)");
  cmd->add_option("-o,--output", opts.html_out, "HTML file to write (default: report.html beside RESULTS)");
  cmd->add_option("--markdown,-m", opts.markdown_out, "also write the Markdown summary here");
  cmd->add_option("--chartjs", opts.chartjs, "Chart.js UMD build to inline (Debian libjs-chart.js)")
      ->capture_default_str();
  cmd->add_option("--threshold", opts.threshold_pct, "Δ % in the worse direction counted as a regression")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_flag("--quiet,-q", opts.quiet, "do not print the paths written");
  return cmd;
}

int render_report(const ReportOptions& opts) {
  std::string chartjs;
  {
    std::ifstream in(opts.chartjs, std::ios::binary);
    if (!in) {
      fmt::print(stderr,
                 "wsbench report: cannot read Chart.js at {} (install Debian libjs-chart.js: "
                 "scripts/install-deps.sh, or pass --chartjs PATH to its UMD build chart.min.js)\n",
                 opts.chartjs.string());
      return kReportHarness;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    chartjs = ss.str();
    if (chartjs.find("Chart") == std::string::npos) {
      fmt::print(stderr, "wsbench report: {} ({} bytes) does not look like Chart.js\n", opts.chartjs.string(),
                 chartjs.size());
      return kReportHarness;
    }
  }
  nlohmann::json results, baseline;
  nlohmann::json view;
  const fs::path html = opts.html_out.empty() ? opts.results.parent_path() / "report.html" : opts.html_out;
  try {
    results = read_results_file(opts.results.string());
    if (opts.baseline) baseline = read_results_file(opts.baseline->string());
    ViewInputs in;
    in.results = &results;
    in.results_name = opts.results.string();
    if (opts.baseline) {
      in.baseline = &baseline;
      in.baseline_name = opts.baseline->string();
    }
    in.threshold_pct = opts.threshold_pct;
    in.report_command = fmt::format("wsbench report {}{} -o {}{}", quoted(opts.results),
                                    opts.baseline ? " --baseline " + quoted(*opts.baseline) : "", quoted(html),
                                    opts.markdown_out ? " --markdown " + quoted(*opts.markdown_out) : "");
    view = build_report_view(in);
  } catch (const ReportInputError& e) {
    fmt::print(stderr, "wsbench report: {}\n", e.what());
    return kReportUsage;
  } catch (const nlohmann::json::exception& e) {
    fmt::print(stderr, "wsbench report: {}: unexpected structure: {}\n", opts.results.string(), e.what());
    return kReportUsage;
  }
  try {
    write_atomic(html, render_html(view, chartjs));
    if (!opts.quiet) fmt::print("report: {}\n", fs::absolute(html).string());
    if (opts.markdown_out) {
      write_atomic(*opts.markdown_out, render_markdown(view));
      if (!opts.quiet) fmt::print("report: {}\n", fs::absolute(*opts.markdown_out).string());
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "wsbench report: {}\n", e.what());
    return kReportHarness;
  }
  return kReportOk;
}

}  // namespace wsalloc::report
