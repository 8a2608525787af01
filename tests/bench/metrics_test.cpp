#include "bench/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace wsalloc::bench {
namespace {

TEST(Metrics, catalogue_names_are_unique_and_every_metric_has_a_unit) {
  std::set<std::string_view> names;
  for (const MetricInfo& m : metric_catalogue()) {
    EXPECT_TRUE(names.insert(m.name).second) << m.name;
    EXPECT_FALSE(m.unit.empty()) << m.name;
    EXPECT_FALSE(m.description.empty()) << m.name;
  }
  EXPECT_TRUE(find_metric("msgs_per_sec")->higher_is_better.value());
  EXPECT_FALSE(find_metric("allocations_per_msg")->higher_is_better.value());
  EXPECT_FALSE(find_metric("server_cpu_util")->higher_is_better.has_value());
}

TEST(Metrics, unmeasured_values_are_null_never_zero) {
  MetricValues v;
  v.set("msgs_per_sec", 1000.0);
  v.set("allocations_per_msg", 0.0);
  v.set("latency_p99_us", std::nan(""));
  nlohmann::json j = v.to_json();
  EXPECT_EQ(j["msgs_per_sec"]["value"], 1000.0);
  EXPECT_EQ(j["msgs_per_sec"]["unit"], "msg/s");
  EXPECT_EQ(j["msgs_per_sec"]["higher_is_better"], true);
  EXPECT_EQ(j["allocations_per_msg"]["value"], 0.0);   // measured zero stays zero
  EXPECT_TRUE(j["latency_p99_us"]["value"].is_null()); // NaN is not a measurement
  EXPECT_TRUE(j["rss_per_conn_bytes"]["value"].is_null());
  EXPECT_TRUE(j["server_cpu_util"]["higher_is_better"].is_null());
  EXPECT_EQ(j.size(), metric_catalogue().size());
}

TEST(Metrics, unknown_metric_name_is_refused) { EXPECT_THROW(MetricValues().set("msgs_per_second", 1.0), std::out_of_range); }

TEST(Metrics, values_survive_a_json_round_trip) {
  MetricValues v;
  v.set("server_cpu_us_per_msg", 2.5);
  MetricValues back = MetricValues::from_json(v.to_json());
  EXPECT_EQ(back.get("server_cpu_us_per_msg"), 2.5);
  EXPECT_FALSE(back.has("msgs_per_sec"));
}

TEST(Metrics, catalogue_json_carries_units_and_direction) {
  nlohmann::json j = metric_catalogue_json();
  EXPECT_EQ(j["rss_per_conn_bytes"]["unit"], "B/conn");
  EXPECT_EQ(j["rss_per_conn_bytes"]["higher_is_better"], false);
}

TEST(Metrics, a_reason_for_a_null_survives_the_json_round_trip) {
  MetricValues m;
  m.set("msgs_per_sec", 5.0);
  m.set_not_measured("rss_max_kib", "not measured: not started by wsbench");
  nlohmann::json j = m.to_json();
  EXPECT_TRUE(j["rss_max_kib"]["value"].is_null());
  EXPECT_EQ(j["rss_max_kib"]["null_reason"], "not measured: not started by wsbench");
  EXPECT_FALSE(j["msgs_per_sec"].contains("null_reason"));
  EXPECT_FALSE(j["rss_start_kib"].contains("null_reason"));
  MetricValues back = MetricValues::from_json(j);
  ASSERT_NE(back.null_reason("rss_max_kib"), nullptr);
  EXPECT_EQ(*back.null_reason("rss_max_kib"), "not measured: not started by wsbench");
  EXPECT_EQ(back.get("msgs_per_sec"), 5.0);
}

TEST(Metrics, server_side_metrics_are_the_ones_only_the_server_process_gives) {
  EXPECT_TRUE(measured_on_server("server_cpu_us_per_msg"));
  EXPECT_TRUE(measured_on_server("allocations_per_msg"));
  EXPECT_TRUE(measured_on_server("rss_per_conn_bytes"));
  EXPECT_FALSE(measured_on_server("msgs_per_sec"));
  EXPECT_FALSE(measured_on_server("latency_p99_us"));
  EXPECT_FALSE(measured_on_server("load_cpu_us_per_msg"));
}

}  // namespace
}  // namespace wsalloc::bench
