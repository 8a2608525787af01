#include "bench/report/report_markdown.hpp"

#include <gtest/gtest.h>

#include "report_test_support.hpp"

using namespace report_test;
using wsalloc::report::render_markdown;

namespace {
const std::string& fixture_md() {
  static const std::string md = render_markdown(fixture_view());
  return md;
}
bool has(const std::string& needle) { return fixture_md().find(needle) != std::string::npos; }
}  // namespace

TEST(ReportMarkdown, verdict_names_the_best_variant_with_its_number) {
  EXPECT_TRUE(has("- **echo-small**: best variant **zerocopy** — 300,000 msg/cpu-s (msgs_per_server_cpu_sec) ×1.20 vs malloc"))
      << fixture_md();
  EXPECT_TRUE(has("- **idle-10k**: best variant **zerocopy** — 520 B/conn (rss_per_conn_bytes)")) << fixture_md();
}

TEST(ReportMarkdown, summary_table_row_carries_the_files_numbers_and_ratios) {
  EXPECT_TRUE(has("| echo-small | 200,000 · ×1.00 · ×0.62 · 4 µs · 3 alloc | 230,000 · ×1.15 · ×0.72 · 3.5 µs · 0 alloc | "
                  "220,000 · ×1.10 · ×0.69 · 3.8 µs · ≈0 alloc | 250,000 · ×1.25 · ×0.78 · 3.2 µs · 0 alloc | 320,000 |"))
      << fixture_md();
  // idle-10k: bytes and allocations per held connection, not "not measured" throughput (issue 14, item 8).
  EXPECT_TRUE(has("| idle-10k | 615 B/conn · 5 alloc/conn | 700 B/conn · 1 alloc/conn | 650 B/conn · 1 alloc/conn | "
                  "520 B/conn · 0 alloc/conn |")) << fixture_md();
}

TEST(ReportMarkdown, regressions_and_missing_rows_are_listed) {
  EXPECT_TRUE(has("**1 regression(s)** against the baseline 0ld0000"));
  EXPECT_TRUE(has("- echo-small · beast · allocations_per_msg: 2 → 3 (+50.0 %)"));
  EXPECT_TRUE(has("- echo-small · bun: measured in the baseline, now absent"));
}

TEST(ReportMarkdown, baseline_table_marks_worse_and_better_cells) {
  EXPECT_TRUE(has("+25.0 % ✓")) << fixture_md();
  EXPECT_TRUE(has("**+50.0 %** ✗")) << fixture_md();
}

TEST(ReportMarkdown, allocator_heaptrack_and_reproduce_sections_are_present) {
  EXPECT_TRUE(has("| echo-small | 250,000 · ×1.00 | 262,500 · ×1.05 |")) << fixture_md();
  EXPECT_TRUE(has("| echo-small/default | malloc | 350,000 | 120 | 716,800 | 0 | 3.5 |")) << fixture_md();
  EXPECT_TRUE(has("```\nwsbench run --quick\n")) << fixture_md();
}

namespace {

// The fixture's malloc makes 3 allocations per echo and the variants ≈0 (promises.hpp).
TEST(ReportMarkdown, the_promises_table_has_a_row_per_promise_with_the_files_figures) {
  EXPECT_TRUE(has("## The promises, measured")) << fixture_md();
  EXPECT_TRUE(has("| allocations before | the malloc baseline makes 20–30 allocations per message | 3 alloc/msg | "
                  "exact (counted) | **not met** |"))
      << fixture_md();
  EXPECT_TRUE(has("| allocations after | arena, pool and zerocopy make 0 allocations per message |")) << fixture_md();
  EXPECT_TRUE(has("| websocat | competitive with websocat | not measured | — | **not measurable here** |")) << fixture_md();
}

}  // namespace

// results.json's "precision" (how many variant comparisons reached ±5 %) is one sentence in both
// renderings; results written before it existed have none and render without it.
TEST(ReportMarkdown, precision_sentence_when_the_results_carry_one) {
  EXPECT_EQ(fixture_md().find("Precision:"), std::string::npos);
  nlohmann::json r = results();
  r["precision"] = {{"metric", "server_cpu_us_per_msg"}, {"reference", "malloc"}, {"target_half_width", 0.05},
                    {"comparisons", 28},  {"within", 23},  {"min_blocks", 3}, {"median_blocks", 6}, {"max_blocks", 12}};
  wsalloc::report::ViewInputs in;
  in.results = &r;
  in.results_name = "fixtures/results.json";
  const nlohmann::json view = wsalloc::report::build_report_view(in);
  const std::string md = render_markdown(view);
  EXPECT_NE(md.find("Precision: 23 of 28 variant comparisons with malloc (server_cpu_us_per_msg) have a 95 % interval "
                    "within ±5 % (82 %; the target is 80 %), after 3-12 blocks (median 6)."),
            std::string::npos)
      << md;
}
