#include "bench/gate/gate_confirm.hpp"

#include <gtest/gtest.h>

#include "gate_fixture.hpp"

namespace wsalloc::bench::gate {
namespace {

using testing::fixture_baseline;
using testing::with_value;

TEST(GateConfirm, only_failing_e2e_rows_ask_for_a_second_measurement) {
  const GateDoc b = fixture_baseline();
  GateDoc c = with_value(b, "e2e_allocations/pool/binary_32", 0.0005);
  c = with_value(c, "instructions/pool/echo_32", 2000);         // fails too, but is deterministic
  c = with_value(c, "allocations/zerocopy/echo_32", 1);         // in process: deterministic
  const auto rows = compare(b, c, Thresholds{});
  EXPECT_EQ(variants_with_e2e_rise(rows), std::set<std::string>{"pool"});
  EXPECT_TRUE(variants_with_e2e_rise(compare(b, b, Thresholds{})).empty());
}

TEST(GateConfirm, a_rise_seen_once_is_not_a_regression_after_a_clean_remeasurement) {
  const GateDoc b = fixture_baseline();
  GateDoc c = with_value(b, "e2e_allocations/pool/binary_32", 0.0005);
  ASSERT_TRUE(any_failure(compare(b, c, Thresholds{})));
  const auto lowered = keep_lower_e2e(c, b);
  EXPECT_EQ(lowered, std::vector<std::string>{"e2e_allocations/pool/binary_32"});
  EXPECT_FALSE(any_failure(compare(b, c, Thresholds{})));
}

TEST(GateConfirm, a_rise_seen_every_time_stays_a_regression) {
  const GateDoc b = fixture_baseline();
  GateDoc c = with_value(b, "e2e_allocations/malloc/binary_32", 6);  // one more per message
  const GateDoc again = with_value(b, "e2e_allocations/malloc/binary_32", 6.0);
  EXPECT_TRUE(keep_lower_e2e(c, again).empty());
  EXPECT_TRUE(any_failure(compare(b, c, Thresholds{})));
}

TEST(GateConfirm, exact_in_process_counts_are_never_replaced) {
  const GateDoc b = fixture_baseline();
  GateDoc c = with_value(b, "allocations/malloc/echo_32", 5);
  keep_lower_e2e(c, b);
  EXPECT_EQ(c.metrics.at("allocations/malloc/echo_32").value, 5);
}

}  // namespace
}  // namespace wsalloc::bench::gate
