// wsalloc-micro as `make micro` runs it: JSON with bytes/items counters and allocations per
// iteration, and the guard against benchmark 1.7.1's memory results across repetitions.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_program.hpp"

namespace {

using nlohmann::json;
using wsalloc::micro::testing::run_program;

const std::string kMicro = WSALLOC_MICRO_EXE;

json run_json(const std::string& args) {
  auto r = run_program(kMicro + " --benchmark_format=json --benchmark_min_time=0.001 " + args + " 2>/dev/null");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return r.exit_code == 0 ? json::parse(r.out) : json::object();
}

const json* find(const json& j, const std::string& name) {
  for (const json& b : j.at("benchmarks")) {
    if (b.at("name") == name) return &b;
  }
  return nullptr;
}

// Every benchmark ran its loop through measured_loop (else AllocMeter aborts the run) and
// reports allocations per iteration.
TEST(MicroCli, every_benchmark_reports_allocations_per_iteration) {
  const json j = run_json("");
  ASSERT_GE(j.at("benchmarks").size(), 40u);
  for (const json& b : j.at("benchmarks")) {
    EXPECT_TRUE(b.contains("allocs_per_iter")) << b.at("name");
    EXPECT_FALSE(b.contains("error_occurred") && b.at("error_occurred").get<bool>()) << b.at("name");
  }
}

TEST(MicroCli, malloc_variant_allocates_per_echo_and_the_others_do_not) {
  const json j = run_json("--benchmark_filter='^echo_32/'");
  for (const char* v : {"arena", "pool", "zerocopy"}) {
    const json* b = find(j, std::string("echo_32/") + v);
    ASSERT_NE(b, nullptr) << v;
    EXPECT_EQ(b->at("allocs_per_iter").get<double>(), 0.0) << v;
  }
  const json* m = find(j, "echo_32/malloc");
  ASSERT_NE(m, nullptr);
  EXPECT_GT(m->at("allocs_per_iter").get<double>(), 0.0);
  EXPECT_GT(m->at("bytes_per_second").get<double>(), 0.0);
  EXPECT_GT(m->at("items_per_second").get<double>(), 0.0);
}

TEST(MicroCli, repetitions_switch_allocation_counts_off_by_default) {
  auto r = run_program(kMicro + " --benchmark_format=json --benchmark_min_time=0.001 --benchmark_repetitions=2 "
                                "--benchmark_filter='^BM_accept_key$' 2>&1 >/dev/null");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("allocation counts off"), std::string::npos) << r.out;
  const json j = run_json("--benchmark_repetitions=2 --benchmark_filter='^BM_accept_key$'");
  for (const json& b : j.at("benchmarks")) EXPECT_FALSE(b.contains("allocs_per_iter")) << b.at("name");
}

TEST(MicroCli, forcing_allocation_counts_with_repetitions_is_refused) {
  auto r = run_program(kMicro + " --alloc_counts=on --benchmark_repetitions=3 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("corrupts"), std::string::npos) << r.out;
}

TEST(MicroCli, a_bad_alloc_counts_value_is_quoted_back) {
  auto r = run_program(kMicro + " --alloc_counts=sometimes 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("sometimes"), std::string::npos) << r.out;
}

}  // namespace
