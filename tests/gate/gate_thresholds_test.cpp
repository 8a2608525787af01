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
  EXPECT_EQ(th.ab.max_cpu_increase_pct, 10.0);
  EXPECT_EQ(th.ab.confidence, 0.99);
  EXPECT_GE(th.ab.min_blocks, 8) << "a 99 % bootstrap interval needs 8 blocks (compare/bootstrap.hpp)";
  EXPECT_GE(th.ab.max_blocks, th.ab.min_blocks);
}

TEST(GateThresholds, old_throughput_section_is_refused_pointing_at_ab) {
  try {
    load_thresholds(write_temp("[throughput_ratio]\nmax_loss_pct = 25\n"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("[ab]"), std::string::npos) << e.what();
  }
}

// The A/B sends a window's messages at once: a pipeline of its own would bring back the steady
// closed loop whose batches follow wsload's speed, so the old key is refused with the reason.
TEST(GateThresholds, ab_pipeline_is_refused_and_derived_from_messages_and_connections) {
  try {
    load_thresholds(write_temp("[ab]\npipeline = 32\n"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("[ab] pipeline"), std::string::npos) << e.what();
  }
  const Thresholds th = load_thresholds(write_temp("[ab]\nmessages = 1000\nconnections = 3\n"));
  EXPECT_EQ(th.ab.pipeline(), 334u) << "1000 over 3 connections, rounded up: every message in flight";
  try {
    load_thresholds(write_temp("[ab]\nmessages = 1000000\nconnections = 10\n"));
    FAIL() << "100,000 in flight on a connection is past wsload's 65536";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("65536"), std::string::npos) << e.what();
  }
}

TEST(GateThresholds, ab_values_out_of_range_are_refused_naming_the_key) {
  for (const char* text : {"[ab]\nconfidence = 1.0\n", "[ab]\nmin_blocks = 10\nmax_blocks = 8\n",
                           "[ab]\nmax_cpu_increase_pct = -5\n"}) {
    EXPECT_THROW(load_thresholds(write_temp(text)), std::runtime_error) << text;
  }
  try {
    load_thresholds(write_temp("[ab]\nconfidence = 1.5\n"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("[ab] confidence"), std::string::npos) << e.what();
  }
}

TEST(GateThresholds, values_in_the_file_override_defaults) {
  const Thresholds th = load_thresholds(write_temp("[instructions]\nmax_increase_pct = 5\n[e2e_allocations]\nmax_increase = 0.01\n"));
  EXPECT_EQ(th.instructions_max_increase_pct, 5.0);
  EXPECT_EQ(th.max_increase.at(MetricKind::E2eAllocations), 0.01);
  EXPECT_EQ(th.ab.max_cpu_increase_pct, 10.0) << "absent keys keep their defaults";
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
