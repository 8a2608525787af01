#include "bench/gate/gate_compare.hpp"

#include <gtest/gtest.h>

#include "gate_fixture.hpp"

namespace wsalloc::bench::gate {
namespace {

using testing::fixture_baseline;
using testing::with_value;

const MetricRow& row(const std::vector<MetricRow>& rows, const std::string& key) {
  for (const MetricRow& r : rows)
    if (r.key == key) return r;
  throw std::runtime_error("no row " + key);
}

TEST(GateCompare, identical_measurement_passes_every_metric) {
  const GateDoc b = fixture_baseline();
  const auto rows = compare(b, b, Thresholds{});
  EXPECT_EQ(rows.size(), b.metrics.size());
  EXPECT_FALSE(any_failure(rows));
}

TEST(GateCompare, one_extra_allocation_per_message_is_a_regression) {
  const GateDoc b = fixture_baseline();
  for (const char* key : {"allocations/zerocopy/echo_32", "e2e_allocations/pool/binary_32", "e2e_allocations/malloc/binary_32"}) {
    const auto rows = compare(b, with_value(b, key, b.metrics.at(key).value + 1), Thresholds{});
    EXPECT_EQ(row(rows, key).verdict, Verdict::Regression) << key;
    EXPECT_EQ(rows.front().key, key) << "failing rows come first";
  }
}

TEST(GateCompare, one_more_byte_per_message_is_a_regression) {
  const GateDoc b = fixture_baseline();
  const auto rows = compare(b, with_value(b, "bytes/malloc/echo_32", 181), Thresholds{});
  EXPECT_EQ(row(rows, "bytes/malloc/echo_32").verdict, Verdict::Regression);
}

TEST(GateCompare, fewer_allocations_pass) {
  const GateDoc b = fixture_baseline();
  const auto rows = compare(b, with_value(b, "e2e_allocations/malloc/binary_32", 4), Thresholds{});
  EXPECT_FALSE(any_failure(rows));
}

TEST(GateCompare, five_percent_more_instructions_is_a_regression) {
  const GateDoc b = fixture_baseline();
  const auto rows = compare(b, with_value(b, "instructions/pool/echo_32", 1050), Thresholds{});
  EXPECT_EQ(row(rows, "instructions/pool/echo_32").verdict, Verdict::Regression);
  EXPECT_EQ(row(rows, "instructions/pool/echo_32").delta, "+5.00 %");
}

TEST(GateCompare, one_percent_more_instructions_passes) {
  const GateDoc b = fixture_baseline();
  const auto rows = compare(b, with_value(b, "instructions/pool/echo_32", 1010), Thresholds{});
  EXPECT_EQ(row(rows, "instructions/pool/echo_32").verdict, Verdict::Pass);
}

TEST(GateCompare, ab_session_rows_follow_the_metrics_failing_first) {
  const GateDoc b = fixture_baseline();
  GateDoc c = b;
  c.ab = testing::ab_session({{"pool", 1.0}, {"zerocopy", 1.25}});
  const auto rows = compare(b, c, Thresholds{});
  EXPECT_EQ(rows.front().key, "ab_cpu_per_msg/zerocopy");
  EXPECT_EQ(rows.front().verdict, Verdict::Regression);
  EXPECT_EQ(row(rows, "ab_cpu_per_msg/pool").verdict, Verdict::Pass);
  EXPECT_TRUE(any_failure(rows));
}

TEST(GateCompare, ab_rows_are_left_out_with_no_ab_or_outside_the_subjects) {
  const GateDoc b = fixture_baseline();
  GateDoc c = b;
  c.ab = testing::ab_session({{"pool", 1.0}, {"zerocopy", 1.25}});
  CompareScope no_ab;
  no_ab.ab = false;
  EXPECT_FALSE(any_failure(compare(b, c, Thresholds{}, no_ab)));
  CompareScope pool_only;
  pool_only.subjects = {"pool"};
  const auto rows = compare(b, c, Thresholds{}, pool_only);
  EXPECT_NO_THROW(row(rows, "ab_cpu_per_msg/pool"));
  EXPECT_THROW(row(rows, "ab_cpu_per_msg/zerocopy"), std::runtime_error);
}

TEST(GateCompare, metric_not_measured_is_missing_and_fails) {
  const GateDoc b = fixture_baseline();
  GateDoc c = b;
  c.metrics.erase("instructions/core/frame_parse");
  const auto rows = compare(b, c, Thresholds{});
  EXPECT_EQ(row(rows, "instructions/core/frame_parse").verdict, Verdict::Missing);
  EXPECT_TRUE(any_failure(rows));
}

TEST(GateCompare, metric_outside_the_scope_is_not_compared) {
  const GateDoc b = fixture_baseline();
  GateDoc c = b;
  c.metrics.erase("instructions/core/frame_parse");
  CompareScope scope;
  scope.subjects = {"pool"};
  const auto rows = compare(b, c, Thresholds{}, scope);
  EXPECT_FALSE(any_failure(rows));
  for (const MetricRow& r : rows) EXPECT_NE(r.key.find("/pool/"), std::string::npos) << r.key;
}

TEST(GateCompare, new_metric_is_reported_and_passes) {
  const GateDoc b = fixture_baseline();
  GateDoc c = b;
  c.metrics["instructions/core/utf8_ascii_4k"] = Metric{MetricKind::Instructions, "core", 900, ""};
  const auto rows = compare(b, c, Thresholds{});
  EXPECT_EQ(row(rows, "instructions/core/utf8_ascii_4k").verdict, Verdict::New);
  EXPECT_FALSE(any_failure(rows));
}

TEST(GateCompare, different_compiler_refuses_to_compare) {
  const GateDoc b = fixture_baseline();
  GateDoc c = b;
  c.meta["build"]["compiler"] = "Clang 14.0.6";
  std::vector<std::string> warnings;
  auto why = incompatibility(b, c, warnings);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("build.compiler"), std::string::npos) << *why;
  EXPECT_NE(why->find("Clang 14.0.6"), std::string::npos) << *why;
}

TEST(GateCompare, different_flags_refuse_to_compare) {
  const GateDoc b = fixture_baseline();
  GateDoc c = b;
  c.meta["build"]["flags"] = " -O2 -g";
  std::vector<std::string> warnings;
  auto why = incompatibility(b, c, warnings);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("build.flags"), std::string::npos) << *why;
}

TEST(GateCompare, different_cpu_model_only_warns) {
  const GateDoc b = fixture_baseline();
  GateDoc c = b;
  c.meta["cpu"]["model"] = "Other CPU";
  std::vector<std::string> warnings;
  EXPECT_FALSE(incompatibility(b, c, warnings));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("Other CPU"), std::string::npos);
}

}  // namespace
}  // namespace wsalloc::bench::gate
