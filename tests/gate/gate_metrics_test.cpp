#include "bench/gate/gate_metrics.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "gate_fixture.hpp"

namespace wsalloc::bench::gate {
namespace {

TEST(GateMetrics, document_survives_a_round_trip_through_json) {
  GateDoc d = testing::fixture_baseline();
  d.throughput_rerun["throughput_ratio/arena"] = 1.05;
  const GateDoc back = gate_doc_from_json(to_json(d), "test");
  ASSERT_EQ(back.metrics.size(), d.metrics.size());
  for (const auto& [k, m] : d.metrics) {
    EXPECT_EQ(back.metrics.at(k).value, m.value) << k;
    EXPECT_EQ(back.metrics.at(k).kind, m.kind) << k;
    EXPECT_EQ(back.metrics.at(k).subject, m.subject) << k;
  }
  EXPECT_EQ(back.throughput_rerun.at("throughput_ratio/arena"), 1.05);
  EXPECT_EQ(back.meta["build"]["compiler"], "GNU 12.2.0");
}

TEST(GateMetrics, key_names_kind_subject_and_workload) {
  EXPECT_EQ(metric_key(MetricKind::Instructions, "pool", "echo_32"), "instructions/pool/echo_32");
  EXPECT_EQ(metric_key(MetricKind::ThroughputRatio, "arena"), "throughput_ratio/arena");
}

TEST(GateMetrics, unknown_kind_is_rejected_naming_the_metric) {
  nlohmann::json j = to_json(testing::fixture_baseline());
  j["metrics"]["instructions/pool/echo_32"]["kind"] = "cycles";
  try {
    gate_doc_from_json(j, "cur.json");
    FAIL() << "accepted an unknown kind";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("instructions/pool/echo_32"), std::string::npos) << e.what();
  }
}

TEST(GateMetrics, null_value_is_rejected_not_read_as_zero) {
  nlohmann::json j = to_json(testing::fixture_baseline());
  j["metrics"]["allocations/zerocopy/echo_32"]["value"] = nullptr;
  EXPECT_THROW(gate_doc_from_json(j, "cur.json"), std::runtime_error);
}

TEST(GateMetrics, other_document_version_is_rejected) {
  nlohmann::json j = to_json(testing::fixture_baseline());
  j["gate_version"] = 99;
  EXPECT_THROW(gate_doc_from_json(j, "cur.json"), std::runtime_error);
}

TEST(GateMetrics, file_write_and_read_agree) {
  const auto path = std::filesystem::temp_directory_path() / ("gate-metrics-" + std::to_string(::getpid()) + ".json");
  write_gate_doc(testing::fixture_baseline(), path.string());
  EXPECT_EQ(read_gate_doc(path.string()).metrics.size(), testing::fixture_baseline().metrics.size());
  std::filesystem::remove(path);
  EXPECT_THROW(read_gate_doc(path.string()), std::runtime_error);
}

}  // namespace
}  // namespace wsalloc::bench::gate
