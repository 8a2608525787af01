#include "bench/gate/gate_metrics.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "gate_fixture.hpp"

namespace wsalloc::bench::gate {
namespace {

TEST(GateMetrics, document_survives_a_round_trip_through_json) {
  GateDoc d = testing::fixture_baseline();
  d.ab = testing::ab_session({{"arena", 1.05}}, 3);
  d.ab->runs.push_back(AbRun{"arena", "base", 2, 1, 60000, 180000000, 5000, 1200, {2900.0, 3100.0}, 0.4, 0.0, 0.01});
  const GateDoc back = gate_doc_from_json(to_json(d), "test");
  ASSERT_EQ(back.metrics.size(), d.metrics.size());
  for (const auto& [k, m] : d.metrics) {
    EXPECT_EQ(back.metrics.at(k).value, m.value) << k;
    EXPECT_EQ(back.metrics.at(k).kind, m.kind) << k;
    EXPECT_EQ(back.metrics.at(k).subject, m.subject) << k;
  }
  ASSERT_TRUE(back.ab);
  EXPECT_EQ(back.ab->status, AbStatus::Done);
  EXPECT_EQ(back.ab->variants, d.ab->variants);
  EXPECT_EQ(back.ab->base.sha, d.ab->base.sha);
  ASSERT_EQ(back.ab->blocks.at("arena").size(), 3u);
  EXPECT_EQ(back.ab->blocks.at("arena")[1].target, d.ab->blocks.at("arena")[1].target);
  ASSERT_EQ(back.ab->runs.size(), 1u);
  EXPECT_EQ(back.ab->runs[0].run_ns, 180000000u);
  EXPECT_EQ(back.ab->runs[0].window_ns, (std::vector<double>{2900.0, 3100.0}));
  EXPECT_EQ(back.ab->runs[0].ns_per_msg(), 3000.0);
  EXPECT_EQ(back.meta["build"]["compiler"], "GNU 12.2.0");
}

TEST(GateMetrics, key_names_kind_subject_and_workload) {
  EXPECT_EQ(metric_key(MetricKind::Instructions, "pool", "echo_32"), "instructions/pool/echo_32");
  EXPECT_EQ(metric_key(MetricKind::E2eAllocations, "arena", "binary_32"), "e2e_allocations/arena/binary_32");
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

TEST(GateMetrics, stored_throughput_ratios_of_older_baselines_are_skipped) {
  nlohmann::json j = to_json(testing::fixture_baseline());
  j["metrics"]["throughput_ratio/zerocopy"] = {{"kind", "throughput_ratio"}, {"subject", "zerocopy"}, {"value", 1.37}};
  const GateDoc d = gate_doc_from_json(j, "old-baseline.json");
  EXPECT_EQ(d.metrics.count("throughput_ratio/zerocopy"), 0u);
  EXPECT_EQ(d.metrics.size(), testing::fixture_baseline().metrics.size());
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
