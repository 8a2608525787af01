#include "bench/gate/gate_command.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "bench/gate/gate_thresholds.hpp"
#include "gate_fixture.hpp"

namespace wsalloc::bench::gate {
namespace {

namespace fs = std::filesystem;

class GateCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gate-cmd-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    write_gate_doc(testing::fixture_baseline(), (dir_ / "baseline.json").string());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the gate on `current` as --from-results; returns its exit code, stdout in out_.
  int gate(const GateDoc& current, bool markdown = false) {
    write_gate_doc(current, (dir_ / "current.json").string());
    GateOptions o;
    o.baseline = (dir_ / "baseline.json").string();
    o.thresholds = default_thresholds_path();
    o.from_results = (dir_ / "current.json").string();
    if (markdown) o.markdown = (dir_ / "gate.md").string();
    ::testing::internal::CaptureStdout();
    const int rc = run_gate(o);
    out_ = ::testing::internal::GetCapturedStdout();
    return rc;
  }
  // The table line of `key`, "" if absent.
  std::string line_of(const std::string& key) const {
    size_t p = out_.find(key + " ");
    if (p == std::string::npos) return "";
    return out_.substr(p, out_.find('\n', p) - p);
  }

  fs::path dir_;
  std::string out_;
};

TEST_F(GateCommand, unchanged_measurement_exits_0) {
  EXPECT_EQ(gate(testing::fixture_baseline()), kGatePass) << out_;
  EXPECT_NE(out_.find("gate: PASS"), std::string::npos) << out_;
}

TEST_F(GateCommand, extra_allocation_per_message_exits_3_naming_it) {
  const GateDoc b = testing::fixture_baseline();
  EXPECT_EQ(gate(testing::with_value(b, "e2e_allocations/pool/binary_32", 1)), kGateRegression) << out_;
  EXPECT_NE(line_of("e2e_allocations/pool/binary_32").find("REGRESSION"), std::string::npos) << out_;
  EXPECT_EQ(gate(testing::with_value(b, "allocations/zerocopy/echo_32", 1)), kGateRegression) << out_;
  EXPECT_NE(line_of("allocations/zerocopy/echo_32").find("REGRESSION"), std::string::npos) << out_;
}

TEST_F(GateCommand, five_percent_more_instructions_exits_3_naming_it) {
  EXPECT_EQ(gate(testing::with_value(testing::fixture_baseline(), "instructions/pool/echo_32", 1050)), kGateRegression);
  EXPECT_NE(line_of("instructions/pool/echo_32").find("REGRESSION"), std::string::npos) << out_;
  EXPECT_NE(out_.find("instructions/pool/echo_32)"), std::string::npos) << "summary names it: " << out_;
}

TEST_F(GateCommand, ab_interval_above_the_limit_exits_3_naming_the_variant) {
  GateDoc c = testing::fixture_baseline();
  c.ab = testing::ab_session({{"malloc", 1.0}, {"zerocopy", 1.25}});
  EXPECT_EQ(gate(c), kGateRegression) << out_;
  EXPECT_NE(line_of("ab_cpu_per_msg/zerocopy").find("REGRESSION"), std::string::npos) << out_;
  EXPECT_NE(out_.find("gate: A/B vs 0123456789"), std::string::npos) << "the A/B summary line: " << out_;
}

TEST_F(GateCommand, inconclusive_ab_warns_and_passes) {
  GateDoc c = testing::fixture_baseline();
  c.ab = testing::ab_session({{"zerocopy", 1.09}}, 4, 0.06);  // interval contains +10 %
  EXPECT_EQ(gate(c), kGatePass) << out_;
  EXPECT_NE(line_of("ab_cpu_per_msg/zerocopy").find("inconclusive"), std::string::npos) << out_;
  EXPECT_NE(line_of("ab_cpu_per_msg/zerocopy").find("more blocks would settle it"), std::string::npos) << out_;
  EXPECT_NE(out_.find("gate: PASS (A/B inconclusive)"), std::string::npos) << out_;
}

TEST_F(GateCommand, ab_not_done_passes_but_says_so_in_table_summary_and_markdown) {
  GateDoc c = testing::fixture_baseline();
  c.ab = testing::ab_not_done({"malloc", "zerocopy"}, "results/baseline.json names commit abc, which is not in this clone");
  EXPECT_EQ(gate(c, /*markdown=*/true), kGatePass) << out_;
  EXPECT_NE(line_of("ab_cpu_per_msg/zerocopy").find("NOT DONE"), std::string::npos) << out_;
  EXPECT_NE(out_.find("gate: PASS (A/B NOT DONE)"), std::string::npos) << out_;
  EXPECT_NE(out_.find("gate: A/B NOT DONE"), std::string::npos) << out_;
  EXPECT_NE(out_.find("not in this clone"), std::string::npos) << out_;
  std::ifstream in(dir_ / "gate.md");
  std::string md((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(md.find("**A/B NOT DONE**: results/baseline.json names commit abc"), std::string::npos) << md;
  EXPECT_NE(md.find("(A/B NOT DONE)"), std::string::npos) << md;
}

TEST_F(GateCommand, noise_sized_differences_exit_0) {
  GateDoc c = testing::fixture_baseline();
  c.metrics.at("instructions/pool/echo_32").value = 1010;         // +1 %
  c.metrics.at("instructions/core/frame_parse").value = 39;       // -2.5 %
  c.ab = testing::ab_session({{"zerocopy", 1.04}, {"arena", 0.9}});  // +4 % and -10 % CPU per message
  EXPECT_EQ(gate(c), kGatePass) << out_;
}

TEST_F(GateCommand, compiler_mismatch_exits_2) {
  GateDoc c = testing::fixture_baseline();
  c.meta["build"]["compiler"] = "Clang 14.0.6";
  EXPECT_EQ(gate(c), kGateHarnessError);
}

TEST_F(GateCommand, flags_mismatch_exits_2_even_with_a_regression) {
  GateDoc c = testing::with_value(testing::fixture_baseline(), "instructions/pool/echo_32", 2000);
  c.meta["build"]["flags"] = " -O0";
  EXPECT_EQ(gate(c), kGateHarnessError);
}

TEST_F(GateCommand, missing_metric_exits_3) {
  GateDoc c = testing::fixture_baseline();
  c.metrics.erase("e2e_allocations/malloc/binary_32");
  EXPECT_EQ(gate(c), kGateRegression);
  EXPECT_NE(line_of("e2e_allocations/malloc/binary_32").find("MISSING"), std::string::npos) << out_;
}

TEST_F(GateCommand, missing_baseline_exits_2) {
  fs::remove(dir_ / "baseline.json");
  EXPECT_EQ(gate(testing::fixture_baseline()), kGateHarnessError);
}

TEST_F(GateCommand, markdown_file_holds_the_table) {
  ASSERT_EQ(gate(testing::with_value(testing::fixture_baseline(), "bytes/malloc/echo_32", 200), true), kGateRegression);
  std::ifstream in(dir_ / "gate.md");
  std::string md((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(md.find("| `bytes/malloc/echo_32` | 180 | 200 |"), std::string::npos) << md;
}

#ifdef WSALLOC_GATE_BIN
// The program itself, as CI runs it: the exit code reaches the shell.
TEST_F(GateCommand, gate_program_exit_code_reaches_the_shell) {
  write_gate_doc(testing::with_value(testing::fixture_baseline(), "instructions/pool/echo_32", 1050),
                 (dir_ / "current.json").string());
  const std::string cmd = std::string(WSALLOC_GATE_BIN) + " gate --baseline " + (dir_ / "baseline.json").string() +
                          " --from-results " + (dir_ / "current.json").string() + " >/dev/null 2>&1";
  const int st = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), kGateRegression);
}
#endif

}  // namespace
}  // namespace wsalloc::bench::gate
