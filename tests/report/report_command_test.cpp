#include "bench/report/report_command.hpp"

#include <filesystem>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include "report_test_support.hpp"

namespace fs = std::filesystem;
using namespace report_test;
using namespace wsalloc::report;

namespace {
fs::path out_dir(const char* name) {
  fs::path d = fs::path(REPORT_OUT_DIR) / "command_test" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
}  // namespace

TEST(ReportCommand, cli_binds_results_baseline_output_and_markdown) {
  CLI::App app{"t"};
  ReportOptions opts;
  CLI::App* cmd = add_report_command(app, opts);
  app.parse("report results.json --baseline b.json -o r.html --markdown r.md", false);
  EXPECT_TRUE(cmd->parsed());
  EXPECT_EQ(opts.results, "results.json");
  ASSERT_TRUE(opts.baseline);
  EXPECT_EQ(*opts.baseline, "b.json");
  EXPECT_EQ(opts.html_out, "r.html");
  ASSERT_TRUE(opts.markdown_out);
  EXPECT_EQ(*opts.markdown_out, "r.md");
  EXPECT_EQ(opts.chartjs, default_chartjs_path());
}

TEST(ReportCommand, cli_requires_the_results_file) {
  CLI::App app{"t"};
  ReportOptions opts;
  add_report_command(app, opts);
  EXPECT_THROW(app.parse("report", false), CLI::RequiredError);
}

TEST(ReportCommand, renders_html_and_markdown_files) {
  const fs::path d = out_dir("render");
  ReportOptions o;
  o.results = fixture("results.json");
  o.baseline = fixture("baseline.json");
  o.html_out = d / "report.html";
  o.markdown_out = d / "report.md";
  o.quiet = true;
  ASSERT_EQ(render_report(o), kReportOk);
  const std::string html = read_text(o.html_out.string());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_NE(read_text(o.markdown_out->string()).find("## Variants by scenario"), std::string::npos);
  EXPECT_FALSE(fs::exists(d / "report.html.tmp"));
}

TEST(ReportCommand, missing_chartjs_fails_with_a_message_naming_the_path) {
  const fs::path d = out_dir("nochart");
  ReportOptions o;
  o.results = fixture("results.json");
  o.html_out = d / "report.html";
  o.chartjs = "/nonexistent/chart.js/chart.min.js";
  testing::internal::CaptureStderr();
  const int rc = render_report(o);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, kReportHarness);
  EXPECT_NE(err.find("/nonexistent/chart.js/chart.min.js"), std::string::npos) << err;
  EXPECT_NE(err.find("libjs-chart.js"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(o.html_out));
}

TEST(ReportCommand, a_file_that_is_not_results_json_is_a_usage_error) {
  const fs::path d = out_dir("notresults");
  std::ofstream(d / "x.json") << "{\"a\": 1}";
  ReportOptions o;
  o.results = d / "x.json";
  o.html_out = d / "report.html";
  testing::internal::CaptureStderr();
  const int rc = render_report(o);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, kReportUsage);
  EXPECT_NE(err.find((d / "x.json").string()), std::string::npos) << err;
}

TEST(ReportCommand, default_output_is_report_html_beside_the_results) {
  const fs::path d = out_dir("beside");
  fs::copy_file(fixture("results.json"), d / "results.json");
  ReportOptions o;
  o.results = d / "results.json";
  o.quiet = true;
  ASSERT_EQ(render_report(o), kReportOk);
  EXPECT_TRUE(fs::exists(d / "report.html"));
}
