#include "bench/gate/gate_ab_rows.hpp"

#include <gtest/gtest.h>

#include "gate_fixture.hpp"

namespace wsalloc::bench::gate {
namespace {

const MetricRow& row(const std::vector<MetricRow>& rows, const std::string& key) {
  for (const MetricRow& r : rows)
    if (r.key == key) return r;
  throw std::runtime_error("no row " + key);
}

TEST(GateAbRows, one_row_per_variant_with_base_and_candidate_cost) {
  const auto rows = ab_rows(testing::ab_session({{"malloc", 1.0}, {"pool", 0.9}}), AbSettings{});
  ASSERT_EQ(rows.size(), 2u);
  const MetricRow& m = row(rows, "ab_cpu_per_msg/malloc");
  EXPECT_EQ(m.kind, MetricKind::AbCpuPerMessage);
  ASSERT_TRUE(m.baseline && m.current);
  EXPECT_NEAR(*m.current / *m.baseline, 1.0, 1e-9);
  EXPECT_EQ(m.delta.rfind("x1.000 [", 0), 0u) << m.delta;
  EXPECT_EQ(m.threshold, "<= +10 % (99 % CI)");
}

TEST(GateAbRows, whole_interval_above_the_limit_is_a_regression) {
  const auto rows = ab_rows(testing::ab_session({{"zerocopy", 1.25}}), AbSettings{});
  EXPECT_EQ(row(rows, "ab_cpu_per_msg/zerocopy").verdict, Verdict::Regression);
}

TEST(GateAbRows, a_loss_below_the_limit_passes_even_when_certain) {
  // +5 % is real here (tight interval) but under the +10 % limit: the gate is for large losses.
  const auto rows = ab_rows(testing::ab_session({{"zerocopy", 1.05}}, 16, 0.005), AbSettings{});
  EXPECT_EQ(row(rows, "ab_cpu_per_msg/zerocopy").verdict, Verdict::Pass);
  EXPECT_NE(row(rows, "ab_cpu_per_msg/zerocopy").note.find("slower"), std::string::npos) << "the statistic still says so";
}

TEST(GateAbRows, interval_containing_the_limit_is_inconclusive_with_an_estimate) {
  const auto rows = ab_rows(testing::ab_session({{"arena", 1.09}}, 4, 0.06), AbSettings{});
  const MetricRow& r = row(rows, "ab_cpu_per_msg/arena");
  EXPECT_EQ(r.verdict, Verdict::Inconclusive);
  EXPECT_NE(r.note.find("more blocks would settle it"), std::string::npos) << r.note;
}

TEST(GateAbRows, not_done_session_gives_not_done_rows_and_says_why_once) {
  const AbSession s = testing::ab_not_done({"malloc", "pool"}, "git is not on PATH");
  const auto rows = ab_rows(s, AbSettings{});
  ASSERT_EQ(rows.size(), 2u);
  for (const MetricRow& r : rows) {
    EXPECT_EQ(r.verdict, Verdict::NotDone);
    EXPECT_NE(r.note.find("A/B NOT DONE"), std::string::npos) << r.note;
    EXPECT_FALSE(r.current) << "not measured is absent, never 0";
  }
  EXPECT_NE(ab_summary_line(s, AbSettings{}).find("git is not on PATH"), std::string::npos);
  EXPECT_NE(ab_markdown(s, AbSettings{}).find("**A/B NOT DONE**: git is not on PATH"), std::string::npos);
}

TEST(GateAbRows, variant_without_blocks_in_a_done_session_is_not_done) {
  AbSession s = testing::ab_session({{"malloc", 1.0}});
  s.variants.push_back("pool");
  const auto rows = ab_rows(s, AbSettings{});
  EXPECT_EQ(row(rows, "ab_cpu_per_msg/pool").verdict, Verdict::NotDone);
}

TEST(GateAbRows, same_session_gives_the_same_interval_every_time) {
  const AbSession s = testing::ab_session({{"pool", 1.02}}, 10, 0.03);
  EXPECT_EQ(ab_rows(s, AbSettings{})[0].delta, ab_rows(s, AbSettings{})[0].delta);
}

TEST(GateAbRows, summary_line_names_base_and_every_variant) {
  const std::string line = ab_summary_line(testing::ab_session({{"malloc", 1.0}, {"zerocopy", 1.25}}), AbSettings{});
  EXPECT_EQ(line.rfind("gate: A/B vs 0123456789 (results/baseline.json), seed 14: ", 0), 0u) << line;
  EXPECT_NE(line.find("malloc x1.000 ["), std::string::npos) << line;
  EXPECT_NE(line.find("zerocopy x1.250 ["), std::string::npos) << line;
  EXPECT_NE(line.find("REGRESSION (8 blocks)"), std::string::npos) << line;
  const std::string nd = ab_summary_line(testing::ab_not_done({"malloc"}, "shallow clone"), AbSettings{});
  EXPECT_EQ(nd, "gate: A/B NOT DONE (no base): shallow clone");
}

}  // namespace
}  // namespace wsalloc::bench::gate
