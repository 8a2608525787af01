#include "bench/report/promises.hpp"

#include <gtest/gtest.h>

using nlohmann::json;

namespace {

json summary_row(const char* scenario, const char* target, const char* metric, double median) {
  return {{"scenario", scenario}, {"case", "default"}, {"target", target}, {"metrics", {{metric, {{"median", median}}}}}};
}

json comparison(const char* scenario, const char* target, const char* metric, double ratio, double low, double high) {
  return {{"scenario", scenario}, {"case", "default"}, {"target", target}, {"reference", "malloc"},
          {"metric", metric},     {"ratio", ratio},    {"ci_low", low},    {"ci_high", high}};
}

const json& promise(const json& rows, const std::string& name) {
  for (const json& r : rows)
    if (r["promise"] == name) return r;
  static const json none;
  ADD_FAILURE() << "no row " << name;
  return none;
}

TEST(Promises, every_promise_has_a_row_and_an_empty_run_is_not_measurable_with_a_reason) {
  const json rows = wsalloc::report::promises_view(json::object());
  ASSERT_EQ(rows.size(), 7u);
  for (const json& r : rows) {
    EXPECT_EQ(r["verdict"], "not measurable here") << r.dump();
    EXPECT_FALSE(r["why"].get<std::string>().empty()) << r.dump();
  }
}

TEST(Promises, allocation_counts_are_judged_exactly) {
  json results = {{"summary", json::array({summary_row("echo-small", "malloc", "allocations_per_msg", 2.94),
                                           summary_row("echo-small", "zerocopy", "allocations_per_msg", 0.0),
                                           summary_row("echo-large", "arena", "allocations_per_msg", 0.0004),
                                           summary_row("broadcast", "pool", "allocations_per_msg", 5.0)})}};
  const json rows = wsalloc::report::promises_view(results);
  EXPECT_EQ(promise(rows, "allocations before")["verdict"], "not met");
  EXPECT_NE(promise(rows, "allocations before")["measured"].get<std::string>().find("2.94"), std::string::npos);
  // 0.0004 per message is a growth event, not an allocation per message; broadcast is no echo case.
  EXPECT_EQ(promise(rows, "allocations after")["verdict"], "met");
  results["summary"].push_back(summary_row("echo-text", "pool", "allocations_per_msg", 1.0));
  EXPECT_EQ(promise(wsalloc::report::promises_view(results), "allocations after")["verdict"], "not met");
}

TEST(Promises, throughput_is_the_inverse_cpu_ratio_judged_by_its_interval) {
  // zerocopy at 0.4x malloc's CPU per message: 2.5x the capacity, interval [2.22, 2.86] -> met.
  json results = {{"comparisons", json::array({comparison("echo-small", "zerocopy", "server_cpu_us_per_msg", 0.4, 0.35, 0.45),
                                               comparison("echo-small", "malloc+jemalloc", "server_cpu_us_per_msg", 0.1, 0.1, 0.1)})}};
  json r = promise(wsalloc::report::promises_view(results), "throughput");
  EXPECT_EQ(r["verdict"], "met") << r.dump();
  EXPECT_NE(r["measured"].get<std::string>().find("×2.50"), std::string::npos) << r.dump();  // not the allocator's ×10
  EXPECT_EQ(r["interval"], "×2.22 – ×2.86");
  results["comparisons"][0] = comparison("echo-small", "zerocopy", "server_cpu_us_per_msg", 0.6, 0.4, 0.9);
  EXPECT_EQ(promise(wsalloc::report::promises_view(results), "throughput")["verdict"], "inconclusive");
  results["comparisons"][0] = comparison("echo-small", "zerocopy", "server_cpu_us_per_msg", 1.0, 0.95, 1.05);
  EXPECT_EQ(promise(wsalloc::report::promises_view(results), "throughput")["verdict"], "not met");
}

TEST(Promises, reductions_are_one_minus_the_ratio) {
  json results = {{"comparisons", json::array({comparison("idle-10k", "zerocopy", "rss_per_conn_bytes", 0.6, 0.55, 0.65),
                                               comparison("latency-at-rate", "pool", "latency_p99_us", 0.9, 0.7, 1.1)})}};
  const json rows = wsalloc::report::promises_view(results);
  EXPECT_EQ(promise(rows, "memory")["verdict"], "met");  // 35-45 % less, all above 30 %
  EXPECT_EQ(promise(rows, "memory")["interval"], "35 % – 45 %");
  EXPECT_EQ(promise(rows, "tail latency")["verdict"], "not met");  // at most 30 % lower, below 50 %
}

}  // namespace

namespace {

TEST(Promises, a_figure_without_an_interval_gets_no_verdict) {
  json results = {{"comparisons", json::array({comparison("idle-10k", "zerocopy", "rss_per_conn_bytes", 0.88, 0, 0)})}};
  results["comparisons"][0]["ci_low"] = nullptr;
  results["comparisons"][0]["ci_high"] = nullptr;
  const json r = promise(wsalloc::report::promises_view(results), "memory");
  EXPECT_EQ(r["verdict"], "inconclusive");
  EXPECT_EQ(r["interval"], "—");
  EXPECT_NE(r["why"].get<std::string>().find("no interval"), std::string::npos);
}

}  // namespace
