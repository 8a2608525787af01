#include "bench/gate/gate_table.hpp"

#include <gtest/gtest.h>

#include "gate_fixture.hpp"

namespace wsalloc::bench::gate {
namespace {

std::vector<MetricRow> rows_with_one_regression() {
  const GateDoc b = testing::fixture_baseline();
  return compare(b, testing::with_value(b, "instructions/pool/echo_32", 1100), Thresholds{});
}

TEST(GateTable, terminal_table_lists_every_metric_failing_first) {
  const auto rows = rows_with_one_regression();
  const std::string t = terminal_table(rows);
  const size_t header_end = t.find('\n');
  EXPECT_EQ(t.compare(header_end + 1, 25, "instructions/pool/echo_32"), 0) << t;
  for (const MetricRow& r : rows) EXPECT_NE(t.find(r.key), std::string::npos) << r.key;
  EXPECT_NE(t.find("REGRESSION"), std::string::npos);
  EXPECT_NE(t.find("+10.00 %"), std::string::npos);
}

TEST(GateTable, markdown_has_one_row_per_metric_and_the_warnings) {
  const auto rows = rows_with_one_regression();
  const std::string md = markdown_report(rows, {"CPU model differs"}, summary_line(rows));
  size_t lines = 0;
  for (size_t p = md.find("\n| `"); p != std::string::npos; p = md.find("\n| `", p + 1)) ++lines;
  EXPECT_EQ(lines, rows.size());
  EXPECT_NE(md.find("**REGRESSION**"), std::string::npos);
  EXPECT_NE(md.find("CPU model differs"), std::string::npos);
}

TEST(GateTable, summary_names_the_failing_metric) {
  const std::string s = summary_line(rows_with_one_regression());
  EXPECT_EQ(s.rfind("gate: FAIL", 0), 0u) << s;
  EXPECT_NE(s.find("instructions/pool/echo_32"), std::string::npos) << s;
}

TEST(GateTable, unmeasured_value_shows_as_a_dash_not_zero) {
  MetricRow r;
  r.key = "instructions/core/frame_parse";
  r.baseline = 40;
  r.verdict = Verdict::Missing;
  const std::string t = terminal_table({r});
  EXPECT_NE(t.find("MISSING"), std::string::npos);
  EXPECT_EQ(t.find(" 0 "), std::string::npos) << t;
}

}  // namespace
}  // namespace wsalloc::bench::gate
