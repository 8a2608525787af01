#include "bench/gate/gate_thresholds.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace wsalloc::bench::gate {
namespace {

std::string write_temp(const std::string& text) {
  static int n = 0;
  const auto p = std::filesystem::temp_directory_path() /
                 ("gate-th-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".toml");
  std::ofstream(p) << text;
  return p.string();
}

TEST(GateThresholds, shipped_file_states_the_issue_limits) {
  const Thresholds th = load_thresholds(default_thresholds_path());
  EXPECT_EQ(th.max_increase.at(MetricKind::Allocations), 0.0);
  EXPECT_EQ(th.max_increase.at(MetricKind::E2eAllocations), 0.0);
  EXPECT_EQ(th.max_increase.at(MetricKind::Bytes), 0.0);
  EXPECT_EQ(th.instructions_max_increase_pct, 3.0);
  EXPECT_EQ(th.throughput_max_loss_pct, 25.0);
  EXPECT_TRUE(th.throughput_confirm_by_rerun);
  EXPECT_EQ(th.throughput_rounds, 3);
}

TEST(GateThresholds, values_in_the_file_override_defaults) {
  const Thresholds th = load_thresholds(write_temp("[instructions]\nmax_increase_pct = 5\n[e2e_allocations]\nmax_increase = 0.01\n"));
  EXPECT_EQ(th.instructions_max_increase_pct, 5.0);
  EXPECT_EQ(th.max_increase.at(MetricKind::E2eAllocations), 0.01);
  EXPECT_EQ(th.throughput_max_loss_pct, 25.0);
}

TEST(GateThresholds, negative_limit_is_rejected_naming_the_key) {
  try {
    load_thresholds(write_temp("[instructions]\nmax_increase_pct = -1\n"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("max_increase_pct"), std::string::npos) << e.what();
  }
}

TEST(GateThresholds, syntax_error_names_the_line) {
  try {
    load_thresholds(write_temp("[instructions]\n\nmax_increase_pct = = 3\n"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(":3:"), std::string::npos) << e.what();
  }
}

TEST(GateThresholds, missing_file_is_an_error) {
  EXPECT_THROW(load_thresholds("/nonexistent/gate.toml"), std::runtime_error);
}

}  // namespace
}  // namespace wsalloc::bench::gate
