#include "micro/workloads.hpp"

#include <gtest/gtest.h>

namespace wsalloc::micro {
namespace {

// The names are a contract: results/baseline.json and the gate key on them.
TEST(Workloads, names_are_the_documented_set_in_order) {
  std::vector<std::string> expected = {"frame_parse", "unmask_4k", "handshake", "utf8_ascii_4k", "utf8_multibyte_4k"};
  for (const char* shape : {"echo_32", "echo_512_text", "echo_64k", "fragmented"}) {
    for (const char* v : {"malloc", "arena", "pool", "zerocopy"}) expected.push_back(std::string(shape) + "_" + v);
  }
  std::vector<std::string> names;
  for (const WorkloadSpec& s : all_workloads()) names.push_back(s.name);
  EXPECT_EQ(names, expected);
}

TEST(Workloads, every_workload_does_work_and_has_iteration_counts) {
  for (const WorkloadSpec& s : all_workloads()) {
    EXPECT_GT(s.default_iterations, 0u) << s.name;
    EXPECT_GT(s.warmup_iterations, 0u) << s.name;
    auto w = s.make();
    w->run(3);
    const uint64_t after3 = w->work_done();
    w->run(3);
    EXPECT_GT(after3, 0u) << s.name;
    EXPECT_GT(w->work_done(), after3) << s.name << ": run() did no work";
  }
}

// The tally of a pipeline workload is bytes written: the 101 response, then one echo per iteration.
TEST(Workloads, pipeline_iterations_each_write_one_echo) {
  auto w = find_workload("echo_32_pool")->make();
  w->run(1);
  const uint64_t one = w->work_done();
  w->run(10);
  EXPECT_EQ(w->work_done() - one, 10u * (2 + 32));
}

TEST(Workloads, find_returns_null_for_an_unknown_name) {
  EXPECT_NE(find_workload("handshake"), nullptr);
  EXPECT_EQ(find_workload("handshak"), nullptr);
}

TEST(Workloads, select_keeps_the_given_order_and_empty_means_all) {
  std::string error;
  auto some = select_workloads("echo_32_pool,frame_parse", error);
  ASSERT_TRUE(some);
  ASSERT_EQ(some->size(), 2u);
  EXPECT_EQ((*some)[0]->name, "echo_32_pool");
  EXPECT_EQ((*some)[1]->name, "frame_parse");
  auto all = select_workloads("", error);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), all_workloads().size());
}

TEST(Workloads, select_names_the_unknown_workload_and_lists_the_known_ones) {
  std::string error;
  EXPECT_FALSE(select_workloads("frame_parse,nope", error));
  EXPECT_NE(error.find("'nope' unknown"), std::string::npos) << error;
  EXPECT_NE(error.find("fragmented_zerocopy"), std::string::npos) << error;
}

TEST(Workloads, select_refuses_a_workload_listed_twice) {
  std::string error;
  EXPECT_FALSE(select_workloads("handshake,handshake", error));
  EXPECT_NE(error.find("listed twice"), std::string::npos) << error;
}

}  // namespace
}  // namespace wsalloc::micro
