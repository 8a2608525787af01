// The shared wsalloc-instr runner (instr_counts.hpp) and `wsbench run`'s instructions step
// (instr_step.hpp) against stand-in programs (shell scripts): the parsing, the narrowing, and every
// way the step can end — measured, skipped with the reason, failed with the program's error.
// The real program under real valgrind is tests/micro/instr_driver_test.cpp's.
#include <gtest/gtest.h>

#include "bench/instr_counts.hpp"
#include "bench/instr_step.hpp"
#include "bench/results_file.hpp"
#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

using testing::TempDir;
using testing::write_script;

constexpr const char* kList = "frame_parse\necho_32_malloc\necho_32_zerocopy\necho_64k_malloc\necho_64k_zerocopy\n";
// The stand-in wsalloc-instr: --list prints kList; otherwise it records its arguments and prints
// the counts of the two echo_32 workloads (in the program's order: malloc first).
std::string fake_instr(const TempDir& d) {
  return "if [ \"$1\" = --list ]; then printf '" + std::string(kList) + "'; exit 0; fi\n" +
         "echo \"$@\" > " + (d.path() / "args").string() + "\n" +
         R"(echo '{"echo_32_malloc": {"instructions_per_iteration": 1529, "allocations_per_iteration": 3,
                 "bytes_allocated_per_iteration": 96, "iterations": 10000},
               "echo_32_zerocopy": {"instructions_per_iteration": 558, "allocations_per_iteration": 0,
                 "bytes_allocated_per_iteration": 0, "iterations": 10000}}')";
}

std::string read_args(const TempDir& d) {
  std::ifstream in(d.path() / "args");
  std::string s;
  std::getline(in, s);
  return s;
}

InstrStepOptions step_options(const TempDir& d) {
  InstrStepOptions o;
  o.instr_program = write_script(d.path() / "bin" / "wsalloc-instr", fake_instr(d));
  o.valgrind = write_script(d.path() / "bin" / "valgrind", "echo valgrind-3.19.0").string();
  o.workdir = d.path();
  return o;
}

TEST(InstrCounts, workload_names_split_into_variant_and_shape) {
  EXPECT_EQ(split_instr_workload("echo_512_text_zerocopy"), std::make_pair(std::string("zerocopy"), std::string("echo_512_text")));
  EXPECT_EQ(split_instr_workload("fragmented_malloc"), std::make_pair(std::string("malloc"), std::string("fragmented")));
  EXPECT_EQ(split_instr_workload("utf8_ascii_4k"), std::make_pair(std::string("core"), std::string("utf8_ascii_4k")));
}

TEST(InstrCounts, output_is_read_in_the_programs_order_with_its_unit) {
  const auto counts = parse_instr_output(R"({"zz_core": {"instructions_per_iteration": 49, "allocations_per_iteration": 0,
      "bytes_allocated_per_iteration": 0, "iterations": 200000},
      "echo_32_pool": {"instructions_per_iteration": 1116.5, "allocations_per_iteration": 0, "bytes_allocated_per_iteration": 0}})");
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].name, "zz_core");  // not sorted: "echo_32_pool" would come first
  EXPECT_EQ(counts[0].per, "call");
  EXPECT_EQ(counts[0].iterations, 200000u);
  EXPECT_EQ(counts[1].subject, "pool");
  EXPECT_EQ(counts[1].workload, "echo_32");
  EXPECT_EQ(counts[1].per, "message");
  EXPECT_EQ(counts[1].instructions_per_iteration, 1116.5);
  EXPECT_EQ(counts[1].iterations, 0u);  // not given
}

TEST(InstrCounts, bad_output_is_an_error_naming_the_workload_or_the_text) {
  EXPECT_THROW(parse_instr_output("callgrind: oops"), InstrCountError);
  try {
    parse_instr_output(R"({"echo_32_pool": {"instructions_per_iteration": 12}})");
    FAIL();
  } catch (const InstrCountError& e) {
    EXPECT_NE(std::string(e.what()).find("echo_32_pool: no number for allocations_per_iteration"), std::string::npos) << e.what();
  }
}

TEST(InstrCounts, a_narrowed_run_names_only_the_selected_workloads) {
  TempDir d;
  InstrRunSpec spec;
  spec.program = write_script(d.path() / "bin" / "wsalloc-instr", fake_instr(d));
  spec.workdir = d.path();
  spec.core = false;
  spec.shapes = {"echo_32"};
  spec.iterations = 7;
  spec.valgrind = "/opt/vg";
  EXPECT_EQ(run_instr_counts(spec).size(), 2u);
  EXPECT_EQ(read_args(d), "--run-callgrind --workloads echo_32_malloc,echo_32_zerocopy --iterations 7 --valgrind /opt/vg");
  spec.variants = {"arena"};  // not in the list: nothing to run, nothing run
  std::filesystem::remove(d.path() / "args");
  EXPECT_TRUE(run_instr_counts(spec).empty());
  EXPECT_FALSE(std::filesystem::exists(d.path() / "args"));
}

TEST(InstrStep, measured_section_has_every_workload_the_version_and_the_time) {
  TempDir d;
  const nlohmann::json s = run_instr_step(step_options(d));
  EXPECT_EQ(s["status"], "measured") << s.dump();
  EXPECT_EQ(s["valgrind"], "valgrind-3.19.0");
  EXPECT_TRUE(s["seconds"].is_number());
  ASSERT_EQ(s["workloads"].size(), 2u);
  EXPECT_EQ(s["workloads"][0]["subject"], "malloc");
  EXPECT_EQ(s["workloads"][0]["unit"], "instructions/message");
  EXPECT_EQ(s["workloads"][1]["instructions_per_iteration"], 558);
  // The pipelines only (instr_step.hpp): the core workload of the list is not asked for.
  EXPECT_EQ(read_args(d).find("frame_parse"), std::string::npos) << read_args(d);
  EXPECT_NE(read_args(d).find("echo_64k_zerocopy"), std::string::npos) << read_args(d);
}

TEST(InstrStep, missing_program_or_valgrind_is_skipped_with_the_reason) {
  TempDir d;
  InstrStepOptions o = step_options(d);
  o.valgrind = (d.path() / "no-such-valgrind").string();
  nlohmann::json s = run_instr_step(o);
  EXPECT_EQ(s["status"], "skipped");
  EXPECT_NE(s["reason"].get<std::string>().find("no-such-valgrind not found"), std::string::npos) << s.dump();
  o = step_options(d);
  o.instr_program = d.path() / "bin" / "absent-instr";
  s = run_instr_step(o);
  EXPECT_EQ(s["status"], "skipped");
  EXPECT_NE(s["reason"].get<std::string>().find("absent-instr missing"), std::string::npos) << s.dump();
  EXPECT_TRUE(s["workloads"].empty());
}

TEST(InstrStep, a_failing_program_is_a_failed_step_quoting_its_stderr) {
  TempDir d;
  InstrStepOptions o = step_options(d);
  write_script(o.instr_program, "if [ \"$1\" = --list ]; then echo echo_32_malloc; exit 0; fi\necho 'callgrind: no output file' >&2; exit 2");
  const nlohmann::json s = run_instr_step(o);
  EXPECT_EQ(s["status"], "failed");
  EXPECT_NE(s["reason"].get<std::string>().find("callgrind: no output file"), std::string::npos) << s.dump();
}

TEST(InstrStep, sections_pass_the_results_schema_check) {
  TempDir d;
  nlohmann::json results = {{"schema", kResultsSchema}};  // the rest of the file is results_file_test's
  for (const nlohmann::json& s : {run_instr_step(step_options(d)), skipped_instr_section("--no-instructions")}) {
    results["instructions"] = s;
    for (const std::string& p : validate_results_json(results)) {
      EXPECT_EQ(p.find("instructions"), std::string::npos) << p;
    }
  }
}

TEST(InstrStep, terminal_summary_shows_counts_ratios_and_allocations_malloc_first) {
  TempDir d;
  const std::string text = render_instr_summary(run_instr_step(step_options(d)));
  EXPECT_NE(text.find("valgrind-3.19.0"), std::string::npos) << text;
  EXPECT_NE(text.find("1529 ×1.00 3"), std::string::npos) << text;
  EXPECT_NE(text.find("558 ×0.36 0"), std::string::npos) << text;  // 558 / 1529
  EXPECT_LT(text.find("malloc"), text.find("zerocopy")) << text;
  const std::string skipped = render_instr_summary(skipped_instr_section("not asked for (--no-instructions)"));
  EXPECT_NE(skipped.find("skipped — not asked for (--no-instructions)"), std::string::npos) << skipped;
  EXPECT_EQ(render_instr_summary(nullptr), "");
}

}  // namespace
}  // namespace wsalloc::bench
