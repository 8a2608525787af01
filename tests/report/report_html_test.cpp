#include "bench/report/report_html.hpp"

#include <regex>

#include <gtest/gtest.h>

#include "report_test_support.hpp"

using nlohmann::json;
using namespace report_test;
using wsalloc::report::render_html;

namespace {

const std::string& fixture_html() {
  static const std::string html = render_html(fixture_view(), chartjs());
  return html;
}

json embedded_view(const std::string& html) {
  const std::string text = between(html, "<script type=\"application/json\" id=\"report-data\">", "</script>");
  return json::parse(text, nullptr, false);
}

// The text of the summary-table span for (id, target, field).
std::string summary_text(const std::string& id, const std::string& target, const std::string& field) {
  return between(fixture_html(),
                 "data-id=\"" + id + "\" data-target=\"" + target + "\" data-field=\"" + field + "\">", "</span>");
}

// The text of a per-scenario table cell (median, before any min–max line).
std::string cell_text(const std::string& id, const std::string& target, const std::string& metric) {
  const std::string attrs = "data-id=\"" + id + "\" data-target=\"" + target + "\" data-metric=\"" + metric + "\"";
  const size_t at = fixture_html().find(attrs);
  if (at == std::string::npos) return "(no cell)";
  const std::string rest = between(fixture_html(), ">", "</td>", at);
  return rest.substr(0, rest.find("<br>"));
}

}  // namespace

TEST(ReportHtml, embedded_data_parses_back_to_the_result_files_medians) {
  const json view = embedded_view(fixture_html());
  ASSERT_FALSE(view.is_discarded()) << "report-data is not valid JSON";
  const json res = results();
  size_t checked = 0;
  for (const auto& s : view["scenarios"]) {
    for (const auto& row : s["rows"]) {
      const json* src = summary_row(res, s["id"], row["target"]);
      ASSERT_NE(src, nullptr);
      for (const char* m : {"msgs_per_sec", "server_cpu_us_per_msg", "allocations_per_msg", "alloc_bytes_per_msg",
                            "latency_p50_us", "latency_p9999_us", "rss_per_conn_bytes"}) {
        EXPECT_EQ(row["m"][m]["median"], (*src)["metrics"][m]["median"]) << s["id"] << " " << row["target"] << " " << m;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 14u * 7u);
  EXPECT_EQ(view["meta"], res["meta"]);
}

TEST(ReportHtml, summary_table_shows_the_files_numbers_and_ratios) {
  EXPECT_EQ(summary_text("echo-small", "zerocopy", "msgs_per_sec"), "250,000");
  EXPECT_EQ(summary_text("echo-small", "zerocopy", "ratio_malloc"), "×1.25");
  EXPECT_EQ(summary_text("echo-small", "zerocopy", "ratio_raw"), "×0.78");
  EXPECT_EQ(summary_text("echo-small", "malloc", "msgs_per_sec"), "200,000");
  EXPECT_EQ(summary_text("echo-small", "malloc", "allocations_per_msg"), "3");
  EXPECT_EQ(summary_text("echo-small", "arena", "allocations_per_msg"), "0");
  EXPECT_EQ(summary_text("echo-small", "pool", "allocations_per_msg"), "≈0");
  EXPECT_EQ(summary_text("echo-small", "arena", "server_cpu_us_per_msg"), "3.5");
  // idle-10k has no throughput: its cell says what a held connection costs (issue 14, item 8).
  EXPECT_EQ(summary_text("idle-10k", "malloc", "rss_per_conn_bytes"), "615");
  EXPECT_EQ(summary_text("idle-10k", "malloc", "allocations_per_conn"), "5");
  EXPECT_EQ(summary_text("idle-10k", "malloc", "msgs_per_sec"), "") << "no msg/s shown for idle";
}

TEST(ReportHtml, scenario_tables_show_medians_and_write_null_as_not_measured) {
  EXPECT_EQ(cell_text("echo-small", "beast", "msgs_per_sec"), "150,000");
  EXPECT_EQ(cell_text("echo-small", "beast", "alloc_bytes_per_msg"), "480");
  EXPECT_EQ(cell_text("echo-small", "zerocopy", "latency_p99_us"), "1,200");
  EXPECT_EQ(cell_text("echo-small", "malloc", "rss_per_conn_bytes"), "not measured");
  EXPECT_EQ(cell_text("echo-small", "malloc+jemalloc", "allocations_per_msg"), "not measured");
  EXPECT_EQ(cell_text("idle-10k", "malloc", "rss_per_conn_bytes"), "615");
  EXPECT_NE(fixture_html().find("not measured: websocat not on PATH"), std::string::npos);
}

TEST(ReportHtml, throughput_cells_show_the_min_max_spread) {
  EXPECT_NE(fixture_html().find("data-metric=\"msgs_per_sec\" title=\"220000\">220,000<br><small>180,000–246,000</small>"),
            std::string::npos);
}

TEST(ReportHtml, verdict_and_regressions_are_in_the_banner) {
  const std::string banner = between(fixture_html(), "<section id=\"verdict\"", "</section>");
  EXPECT_NE(banner.find("data-verdict=\"echo-small\""), std::string::npos);
  EXPECT_NE(banner.find("best variant <b class=\"best\">zerocopy</b> — 300,000 msg/cpu-s"), std::string::npos) << banner;
  EXPECT_NE(banner.find("data-count=\"1\""), std::string::npos);
  EXPECT_NE(banner.find("echo-small · beast · allocations_per_msg: 2 → 3 (+50.0 %)"), std::string::npos) << banner;
}

TEST(ReportHtml, each_chart_section_declares_how_many_charts_it_holds) {
  EXPECT_NE(fixture_html().find("data-section=\"scenario:echo-small\" data-expected-charts=\"6\""), std::string::npos);
  EXPECT_NE(fixture_html().find("data-section=\"scenario:idle-10k\" data-expected-charts=\"2\""), std::string::npos);
  EXPECT_NE(fixture_html().find("data-section=\"allocators\" data-expected-charts=\"1\""), std::string::npos);
}

TEST(ReportHtml, page_is_self_contained_no_external_scripts_styles_or_images) {
  const std::string& h = fixture_html();
  EXPECT_EQ(h.find(" src="), std::string::npos);
  EXPECT_EQ(h.find("<link"), std::string::npos);
  EXPECT_EQ(h.find("@import"), std::string::npos);
  EXPECT_NE(h.find("Chart.js v"), std::string::npos) << "Chart.js is not inlined";
}

TEST(ReportHtml, text_from_the_file_is_escaped_in_markup_and_in_the_data) {
  // The fixture's CPU model is "Fixture CPU <test & check>".
  const std::string& h = fixture_html();
  EXPECT_NE(h.find("Fixture CPU &lt;test &amp; check&gt;"), std::string::npos);
  EXPECT_EQ(h.find("<test & check>"), std::string::npos);
  EXPECT_NE(h.find("Fixture CPU \\u003ctest \\u0026 check\\u003e"), std::string::npos);
}

TEST(ReportHtml, script_safe_keeps_a_script_element_from_ending_early) {
  EXPECT_EQ(wsalloc::report::script_safe("a='</script>';<!-- x"), "a='<\\/script>';<\\!-- x");
  const std::string j = wsalloc::report::json_for_script(json{{"k", "</script><b>&"}});
  EXPECT_EQ(j.find("</"), std::string::npos);
  EXPECT_EQ(json::parse(j)["k"], "</script><b>&");
}

TEST(ReportHtml, html_escape_covers_markup_and_quotes) {
  EXPECT_EQ(wsalloc::report::html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST(ReportHtml, comparisons_show_ratio_interval_and_verdict_or_say_there_are_none) {
  json view = fixture_view();
  view["comparisons"] = json::array();
  EXPECT_NE(render_html(view, "").find("No paired comparisons"), std::string::npos);
  view["comparisons"] = json::array({json{{"scenario", "echo-small"}, {"case", "default"}, {"target", "pool"},
                                          {"reference", "malloc"}, {"metric", "server_cpu_us_per_msg"}, {"ratio", 0.8123},
                                          {"ci_low", 0.79}, {"ci_high", 0.83}, {"blocks", 8}, {"verdict", "faster"},
                                          {"confidence", 0.95}, {"delta", 0.05}, {"more_blocks", nullptr}}});
  const std::string html = render_html(view, "");
  const std::string table = between(html, "<table id=\"comparisons-table\"", "</table>");
  EXPECT_NE(table.find("<td class=\"num\">0.812</td><td class=\"num\">[0.790, 0.830]</td>"), std::string::npos) << table;
  EXPECT_NE(table.find("<td class=\"good\">faster</td>"), std::string::npos) << table;
}

namespace {

TEST(ReportHtml, the_promises_section_has_a_row_per_promise_and_colours_its_verdicts) {
  const std::string table = between(fixture_html(), "<table id=\"promises-table\"", "</table>");
  size_t rows = 0;
  for (size_t at = table.find("<tr><td>"); at != std::string::npos; at = table.find("<tr><td>", at + 1)) ++rows;
  EXPECT_EQ(rows, 7u) << table;
  EXPECT_NE(table.find("<td class=\"bad\">not met</td>"), std::string::npos) << table;   // allocations before
  EXPECT_NE(table.find("<td class=\"good\">met</td>"), std::string::npos) << table;      // allocations after
  EXPECT_NE(fixture_html().find("<a href=\"#promises\">promises</a>"), std::string::npos);
  EXPECT_EQ(embedded_view(fixture_html())["promises"].size(), 7u);
}

}  // namespace
