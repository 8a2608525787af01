#include "micro/instr_driver.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "run_program.hpp"

// The exact-count claims, checked on the real programs: wsalloc-instr under callgrind gives the
// same instruction totals run after run, and counts only the measured iterations; the allocation
// twin counts exactly. Small N and two workloads: a few seconds, mostly valgrind start-up.
namespace wsalloc::micro {
namespace {

using nlohmann::json;
using testing::run_program;

constexpr const char* kWorkloads = "frame_parse,echo_32_zerocopy";

#ifdef WSALLOC_NO_CALLGRIND_TESTS
#define SKIP_WITHOUT_CALLGRIND() GTEST_SKIP() << "sanitizer build: valgrind cannot run it"
#else
#define SKIP_WITHOUT_CALLGRIND() static_cast<void>(0)
#endif

json callgrind_pass(uint64_t iterations) {
  auto r = run_program(std::string(WSALLOC_INSTR_EXE) + " --run-callgrind --workloads " + kWorkloads +
                       " --iterations " + std::to_string(iterations) + " 2>/dev/null");
  EXPECT_EQ(r.exit_code, kExitOk) << "is valgrind installed? output: " << r.out;
  return r.exit_code == kExitOk ? json::parse(r.out) : json::object();
}

TEST(InstrDriver, run_bracketed_runs_the_workload_natively) {
  EXPECT_GT(run_bracketed(*find_workload("frame_parse"), 10), 0u);
  EXPECT_GT(run_bracketed(*find_workload("echo_32_arena"), 10), 0u);
}

TEST(InstrDriver, instruction_counts_are_exactly_repeatable) {
  SKIP_WITHOUT_CALLGRIND();
  const json first = callgrind_pass(500);
  const json second = callgrind_pass(500);
  ASSERT_EQ(first.size(), 2u);
  for (const char* w : {"frame_parse", "echo_32_zerocopy"}) {
    SCOPED_TRACE(w);
    const uint64_t a = first.at(w).at("instructions_total").get<uint64_t>();
    EXPECT_GT(a, 0u);
    EXPECT_EQ(a, second.at(w).at("instructions_total").get<uint64_t>());
    EXPECT_EQ(first.at(w).at("iterations").get<uint64_t>(), 500u);
    EXPECT_DOUBLE_EQ(first.at(w).at("instructions_per_iteration").get<double>(), double(a) / 500.0);
  }
  EXPECT_EQ(first, second) << "the whole report, allocations included, is deterministic";
}

// Doubling N doubles the count up to the bracket's constant: warm-up, set-up (handshake, plan)
// and the receive-buffer refills are outside the count.
TEST(InstrDriver, instruction_count_covers_only_the_measured_iterations) {
  SKIP_WITHOUT_CALLGRIND();
  const json once = callgrind_pass(500);
  const json twice = callgrind_pass(1000);
  for (const char* w : {"frame_parse", "echo_32_zerocopy"}) {
    SCOPED_TRACE(w);
    const int64_t n1 = once.at(w).at("instructions_total").get<int64_t>();
    const int64_t n2 = twice.at(w).at("instructions_total").get<int64_t>();
    const int64_t bracket = 2 * n1 - n2;  // what does not scale with N
    EXPECT_GE(bracket, 0);
    EXPECT_LT(bracket, 200) << "more than the CALLGRIND_* requests is being counted";
    EXPECT_GT(n1 / 500, 10) << "an iteration cannot cost almost nothing";
  }
}

TEST(InstrDriver, callgrind_pass_reports_allocations_from_the_native_pass) {
  SKIP_WITHOUT_CALLGRIND();
  const json r = callgrind_pass(200);
  for (const char* w : {"frame_parse", "echo_32_zerocopy"}) {
    SCOPED_TRACE(w);
    EXPECT_EQ(r.at(w).at("allocations_per_iteration").get<double>(), 0.0);
    EXPECT_EQ(r.at(w).at("allocation_iterations").get<uint64_t>(), 200u);
  }
}

TEST(InstrDriver, allocation_twin_counts_the_malloc_variant_and_zero_for_the_others) {
  auto r = run_program(std::string(WSALLOC_INSTR_ALLOCS_EXE) +
                       " --iterations 100 --workloads echo_32_malloc,echo_32_arena,echo_32_pool,echo_32_zerocopy,"
                       "fragmented_malloc,fragmented_zerocopy");
  ASSERT_EQ(r.exit_code, kExitOk) << r.out;
  const json j = json::parse(r.out);
  for (const char* w : {"echo_32_arena", "echo_32_pool", "echo_32_zerocopy", "fragmented_zerocopy"}) {
    EXPECT_EQ(j.at(w).at("allocations_total").get<uint64_t>(), 0u) << w;
  }
  for (const char* w : {"echo_32_malloc", "fragmented_malloc"}) {
    const uint64_t total = j.at(w).at("allocations_total").get<uint64_t>();
    EXPECT_GT(total, 0u) << w << ": the baseline copies through std containers";
    EXPECT_EQ(total % 100, 0u) << w << ": the same allocations every message";
    EXPECT_GT(j.at(w).at("bytes_total").get<uint64_t>(), 32u * 100) << w;
  }
}

TEST(InstrDriver, a_missing_valgrind_is_a_harness_error_naming_it) {
  SKIP_WITHOUT_CALLGRIND();
  // --keep-out: on an error the driver keeps its files for a post-mortem; keep them where we clean.
  std::string dir = (std::filesystem::temp_directory_path() / "micro-instr-test.XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  auto r = run_program(std::string(WSALLOC_INSTR_EXE) +
                       " --run-callgrind --workloads frame_parse --iterations 10 --keep-out " + dir +
                       " --valgrind /nonexistent/valgrind 2>&1");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.exit_code, kExitHarnessError);
  EXPECT_NE(r.out.find("/nonexistent/valgrind"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("frame_parse"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace wsalloc::micro
