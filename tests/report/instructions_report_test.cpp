// The report's instructions section (instructions_view.hpp): from the fixture's "instructions"
// (the callgrind counts `wsbench run` writes) to the view, the HTML table and report.md; and a file
// without the section (the fixture's baseline.json, an older file) still renders, saying so.
#include <algorithm>

#include <gtest/gtest.h>

#include "bench/report/instructions_view.hpp"
#include "bench/report/report_html.hpp"
#include "bench/report/report_markdown.hpp"
#include "report_test_support.hpp"

using nlohmann::json;
using namespace report_test;

namespace {

const json& row(const json& view, const std::string& workload) {
  for (const json& r : view["instructions"]["rows"]) {
    if (r["workload"] == workload) return r;
  }
  static const json none;
  ADD_FAILURE() << "no instructions row " << workload;
  return none;
}

// The view of baseline.json read as the results: a file written before the instructions step.
json older_file_view() {
  static const json b = baseline();
  wsalloc::report::ViewInputs in;
  in.results = &b;
  in.results_name = "fixtures/baseline.json";
  return wsalloc::report::build_report_view(in);
}

}  // namespace

TEST(InstructionsView, counts_are_the_files_with_ratios_to_malloc_and_malloc_first) {
  const json view = fixture_view();
  const json& in = view["instructions"];
  ASSERT_TRUE(in.is_object());
  EXPECT_EQ(in["status"], "measured");
  EXPECT_EQ(in["valgrind"], "valgrind-3.19.0");
  EXPECT_EQ(in["variants"], json({"malloc", "arena", "pool", "zerocopy"}));
  const json& echo = row(view, "echo_32");
  EXPECT_EQ(echo["per"], "message");
  EXPECT_EQ(echo["cells"]["malloc"]["instructions"], 1529);
  EXPECT_EQ(echo["cells"]["malloc"]["allocations"], 3);
  EXPECT_DOUBLE_EQ(echo["cells"]["malloc"]["ratio_malloc"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(echo["cells"]["zerocopy"]["ratio_malloc"].get<double>(), 558.0 / 1529.0);
  EXPECT_FALSE(row(view, "echo_64k")["cells"].contains("arena"));  // not in the file: not invented
}

TEST(InstructionsView, a_file_without_the_section_gives_null_and_without_malloc_no_ratio) {
  EXPECT_TRUE(older_file_view()["instructions"].is_null());
  json r = results();
  json& ws = r["instructions"]["workloads"];
  ws.erase(std::remove_if(ws.begin(), ws.end(), [](const json& w) { return w["subject"] == "malloc"; }), ws.end());
  const json v = wsalloc::report::instructions_view(r);
  EXPECT_EQ(v["variants"], json({"arena", "pool", "zerocopy"}));
  EXPECT_TRUE(v["rows"][0]["cells"]["zerocopy"]["ratio_malloc"].is_null());
}

TEST(InstructionsReport, html_table_has_a_cell_per_variant_with_the_numbers_and_a_chart) {
  const std::string html = wsalloc::report::render_html(fixture_view(), chartjs());
  const std::string section = between(html, "<section id=\"instructions\"", "</section>");
  ASSERT_FALSE(section.empty());
  EXPECT_NE(section.find("data-section=\"instructions\" data-expected-charts=\"1\""), std::string::npos);
  EXPECT_NE(section.find("Instructions per message (callgrind, exact)"), std::string::npos);
  EXPECT_NE(section.find("<canvas id=\"instructions-chart\">"), std::string::npos);
  EXPECT_NE(section.find("data-variant=\"malloc\" data-instructions=\"1529\">1,529 · ×1.00 · 3</td>"), std::string::npos)
      << section;
  EXPECT_NE(section.find("data-variant=\"zerocopy\" data-instructions=\"558\">558 · ×0.36 · 0</td>"), std::string::npos);
  EXPECT_NE(section.find("data-variant=\"zerocopy\" data-instructions=\"18034.4\">18,034 · ×0.08 · 0</td>"), std::string::npos);
  EXPECT_NE(section.find("<td class=\"nm\">not run</td>"), std::string::npos);  // echo_64k, arena
}

TEST(InstructionsReport, an_older_file_or_a_skipped_step_renders_a_note_without_a_chart) {
  const std::string html = wsalloc::report::render_html(older_file_view(), chartjs());
  const std::string section = between(html, "<section id=\"instructions\"", "</section>");
  EXPECT_NE(section.find("has no instruction counts"), std::string::npos) << section;
  EXPECT_EQ(section.find("data-section"), std::string::npos);
  EXPECT_NE(wsalloc::report::render_markdown(older_file_view()).find("Not in this results file"), std::string::npos);

  json r = results();
  r["instructions"] = {{"status", "skipped"}, {"reason", "valgrind not found: install Debian's valgrind"},
                       {"workloads", json::array()}};
  wsalloc::report::ViewInputs in;
  in.results = &r;
  const json view = wsalloc::report::build_report_view(in);
  const std::string skipped = between(wsalloc::report::render_html(view, chartjs()), "<section id=\"instructions\"", "</section>");
  EXPECT_NE(skipped.find("Not measured in this run (skipped): valgrind not found"), std::string::npos) << skipped;
  EXPECT_EQ(skipped.find("<canvas"), std::string::npos);
}

TEST(InstructionsReport, markdown_has_the_table_with_the_files_numbers) {
  const std::string md = wsalloc::report::render_markdown(fixture_view());
  EXPECT_NE(md.find("## Instructions per message (callgrind, exact)"), std::string::npos) << md;
  EXPECT_NE(md.find("| workload | malloc | arena | pool | zerocopy |"), std::string::npos) << md;
  EXPECT_NE(md.find("| echo_32 | 1,529 · ×1.00 · 3 | 1,352 · ×0.88 · 0 | 1,116 · ×0.73 · 0 | 558 · ×0.36 · 0 |"),
            std::string::npos) << md;
  EXPECT_NE(md.find("| echo_64k | 212,378 · ×1.00 · 3 | not run | not run | 18,034 · ×0.08 · 0 |"), std::string::npos) << md;
}
