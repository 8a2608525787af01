// The HTML report: one self-contained file (no network): the view JSON (report_view.hpp) in a
// <script type="application/json" id="report-data">, Chart.js inlined, the page script
// (report_script.cpp) drawing every chart from that data. Tables are written here, in C++, so the
// numbers are readable without JavaScript and a test can compare them with the results file.
//
// Each section that holds charts is <section data-section="NAME" data-expected-charts="N">; the
// page script writes what it drew into <pre id="render-status"> as JSON:
//   {"done": true, "sections": {"scenario:echo-small": {"expected": 6, "rendered": 6}}, "errors": []}
// (rendered = canvases with drawn pixels; errors = window.onerror and console.error messages).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace wsalloc::report {

// view: build_report_view(); chartjs: the text of Chart.js's UMD build (defines window.Chart).
std::string render_html(const nlohmann::json& view, std::string_view chartjs);

// Text made safe for HTML text and attribute values.
std::string html_escape(std::string_view s);
// JavaScript made safe inside <script>…</script>: "</" -> "<\/" and "<!--" -> "<\!--", which mean the
// same inside JS strings, regular expressions and comments, so nothing can end the element early.
std::string script_safe(std::string_view js);
// JSON for a <script type="application/json">: '<', '>' and '&' as \u escapes (valid JSON).
std::string json_for_script(const nlohmann::json& j);

// The page script (report_script.cpp).
std::string_view page_script();
std::string_view page_style();

}  // namespace wsalloc::report
