#include "micro/exit_status.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_program.hpp"

// wsalloc-instr and its allocation twin as the gate calls them: arguments and exit statuses.
namespace wsalloc::micro {
namespace {

using nlohmann::json;
using testing::run_program;

const std::string kInstr = WSALLOC_INSTR_EXE;
const std::string kAllocs = WSALLOC_INSTR_ALLOCS_EXE;

TEST(InstrCli, list_prints_every_workload_name) {
  auto r = run_program(kInstr + " --list");
  EXPECT_EQ(r.exit_code, kExitOk);
  EXPECT_NE(r.out.find("frame_parse\n"), std::string::npos);
  EXPECT_NE(r.out.find("fragmented_zerocopy\n"), std::string::npos);
}

// Without --run-callgrind it is the fixed-work program itself: it runs and says what it ran.
TEST(InstrCli, native_run_reports_iterations_and_work) {
  auto r = run_program(kInstr + " --workloads unmask_4k,echo_64k_pool --iterations 7");
  ASSERT_EQ(r.exit_code, kExitOk);
  const auto j = nlohmann::ordered_json::parse(r.out);
  EXPECT_EQ(j.at("unmask_4k").at("iterations").get<int>(), 7);
  EXPECT_GT(j.at("echo_64k_pool").at("work_done").get<uint64_t>(), 7u * 65536);
  EXPECT_EQ(j.begin().key(), "unmask_4k") << "workloads are reported in the order asked for";
}

TEST(InstrCli, an_unknown_workload_is_a_harness_error) {
  auto r = run_program(kInstr + " --workloads frame_parse,echo_33_pool 2>&1");
  EXPECT_EQ(r.exit_code, kExitHarnessError);
  EXPECT_NE(r.out.find("echo_33_pool"), std::string::npos) << r.out;
  auto a = run_program(kAllocs + " --workloads echo_33_pool 2>&1");
  EXPECT_EQ(a.exit_code, kExitHarnessError);
}

TEST(InstrCli, zero_iterations_are_refused) {
  EXPECT_EQ(run_program(kInstr + " --iterations 0 2>&1").exit_code, kExitHarnessError);
  EXPECT_EQ(run_program(kAllocs + " --iterations 0 2>&1").exit_code, kExitHarnessError);
}

TEST(InstrCli, help_is_not_an_error) {
  EXPECT_EQ(run_program(kInstr + " --help").exit_code, kExitOk);
}

}  // namespace
}  // namespace wsalloc::micro
