#include "bench/gate/gate_measure.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace wsalloc::bench::gate {
namespace {

namespace fs = std::filesystem;

// A stand-in wsalloc-instr (a shell script) in a temporary bin dir: the gate's parsing is tested
// without valgrind.
class GateMeasure : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gate-measure-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "bin");
    o_.paths.bin_dir = dir_ / "bin";
    o_.workdir = dir_;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void fake_instr(const std::string& body) {
    const auto p = dir_ / "bin" / "wsalloc-instr";
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    ::chmod(p.c_str(), 0755);
  }
  fs::path dir_;
  MeasureOptions o_;
};

TEST_F(GateMeasure, instruction_counts_become_three_metrics_per_workload) {
  fake_instr(R"(echo '{"echo_32_pool": {"instructions_per_iteration": 1234.5, "allocations_per_iteration": 0,
                 "bytes_allocated_per_iteration": 0, "iterations": 10},
                 "frame_parse": {"instructions_per_iteration": 40, "allocations_per_iteration": 0,
                 "bytes_allocated_per_iteration": 0, "iterations": 10}}')");
  GateDoc doc;
  measure_instructions(o_, doc);
  ASSERT_EQ(doc.metrics.size(), 6u);
  EXPECT_EQ(doc.metrics.at("instructions/pool/echo_32").value, 1234.5);
  EXPECT_EQ(doc.metrics.at("instructions/pool/echo_32").subject, "pool");
  EXPECT_EQ(doc.metrics.at("allocations/core/frame_parse").subject, "core");
  EXPECT_EQ(doc.metrics.at("bytes/pool/echo_32").value, 0);
}

TEST_F(GateMeasure, failing_instr_program_is_a_harness_error_quoting_its_stderr) {
  fake_instr("echo 'valgrind: not found' >&2; exit 2");
  GateDoc doc;
  try {
    measure_instructions(o_, doc);
    FAIL();
  } catch (const GateHarnessError& e) {
    EXPECT_NE(std::string(e.what()).find("valgrind: not found"), std::string::npos) << e.what();
  }
}

TEST_F(GateMeasure, workload_without_a_count_is_a_harness_error) {
  fake_instr(R"(echo '{"echo_32_pool": {"instructions_per_iteration": 12}}')");
  GateDoc doc;
  EXPECT_THROW(measure_instructions(o_, doc), GateHarnessError);
}

}  // namespace
}  // namespace wsalloc::bench::gate
