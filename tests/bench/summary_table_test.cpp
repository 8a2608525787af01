#include "bench/summary_table.hpp"

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

TEST(SummaryTable, compact_numbers_keep_three_significant_digits) {
  EXPECT_EQ(compact_number(1234567.0), "1.23M");
  EXPECT_EQ(compact_number(45678.0), "45.7k");
  EXPECT_EQ(compact_number(512.0), "512");
  EXPECT_EQ(compact_number(12.345), "12.3");
  EXPECT_EQ(compact_number(0.0123), "0.0123");
  EXPECT_EQ(compact_number(0.0), "0");
  EXPECT_EQ(compact_number(std::nullopt), "—");
}

TEST(SummaryTable, shows_medians_spread_and_reasons) {
  RunRecord a;
  a.scenario = "echo-small";
  a.case_name = "default";
  a.target = "zerocopy";
  a.repetition = 1;
  a.status = RunStatus::Ok;
  a.metrics.set("msgs_per_sec", 100000.0);
  RunRecord b = a;
  b.repetition = 2;
  b.metrics.set("msgs_per_sec", 120000.0);
  RunRecord u;
  u.scenario = "echo-small";
  u.case_name = "default";
  u.target = "bun";
  u.status = RunStatus::Unavailable;
  u.reason = "not installed";
  std::string table = render_summary(summarise({a, b, u}));
  EXPECT_NE(table.find("echo-small\n"), std::string::npos) << table;
  EXPECT_NE(table.find("zerocopy"), std::string::npos);
  EXPECT_NE(table.find("110.0k"), std::string::npos) << table;        // the median
  EXPECT_NE(table.find("100.0k–120.0k"), std::string::npos) << table; // the spread
  EXPECT_NE(table.find("bun              unavailable: not installed"), std::string::npos) << table;
  EXPECT_NE(table.find("—"), std::string::npos);  // unmeasured columns
}

TEST(SummaryTable, set_up_noise_in_allocation_counts_reads_as_about_zero_but_zero_stays_zero) {
  RunRecord t;
  t.scenario = "s";
  t.case_name = "default";
  t.target = "zerocopy";
  t.repetition = 1;
  t.status = RunStatus::Ok;
  t.metrics.set("msgs_per_sec", 1000.0);
  RunRecord c = t;
  c.pass = RunPass::Count;
  c.metrics.set("allocations_per_msg", -1.5e-5);
  EXPECT_NE(render_summary(summarise({t, c})).find("≈0"), std::string::npos);
  c.metrics.set("allocations_per_msg", 0.0);
  const std::string exact = render_summary(summarise({t, c}));
  EXPECT_EQ(exact.find("≈0"), std::string::npos) << exact;
}

TEST(SummaryTable, figures_null_on_purpose_say_why_in_the_notes) {
  RunRecord a;
  a.scenario = "echo-small";
  a.case_name = "default";
  a.target = "far";
  a.repetition = 1;
  a.status = RunStatus::Ok;
  a.metrics.set("msgs_per_sec", 100000.0);
  for (const char* m : {"server_cpu_us_per_msg", "allocations_per_msg", "rss_per_conn_bytes"}) {
    a.metrics.set_not_measured(m, "not measured: not started by wsbench");
  }
  const std::string table = render_summary(summarise({a}));
  EXPECT_NE(table.find("[server side not measured: not started by wsbench]"), std::string::npos) << table;
  EXPECT_EQ(table.find(" 0 "), std::string::npos) << table;  // never a zero for what was not measured
}

}  // namespace
}  // namespace wsalloc::bench
