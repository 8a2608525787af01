#include "bench/bench_run.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

using testing::temp_paths;

TEST(BenchRun, a_broken_scenario_stops_the_run_before_anything_is_measured) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "scenarios" / "bad.toml", "description = \"d\"\nkind = \"echo\"\n[load]\npipeline = -1\n");
  RunOutcome out;
  ::testing::internal::CaptureStderr();
  int rc = run_benchmarks(temp_paths(dir), RunOptions{}, out);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, kExitUsage);
  EXPECT_NE(err.find("bad.toml:4: key 'load.pipeline'"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "results"));
}

TEST(BenchRun, a_broken_target_file_or_url_stops_the_run_before_anything_is_measured) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "scenarios" / "echo-small.toml", "description = \"d\"\nkind = \"echo\"\n");
  testing::write_file(dir.path() / "mine.toml", "description = \"d\"\ncommand = [\"x\", \"{prot}\"]\n[ready]\nport = true\n");
  RunOptions o;
  o.target_files = {(dir.path() / "mine.toml").string()};
  RunOutcome out;
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_benchmarks(temp_paths(dir), o, out), kExitUsage);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("mine.toml:2: key 'command': unknown placeholder {prot}"), std::string::npos) << err;
  o.target_files.clear();
  o.target_urls = {"ws://host:port/"};
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_benchmarks(temp_paths(dir), o, out), kExitUsage);
  err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("--target-url ws://host:port/: port \"port\" is not in [1, 65535]"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "results"));
}

TEST(BenchRun, a_selection_that_matches_nothing_is_a_usage_error) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "scenarios" / "echo-small.toml", "description = \"d\"\nkind = \"echo\"\n");
  RunOptions o;
  o.scenarios = "no-such-*";
  RunOutcome out;
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_benchmarks(temp_paths(dir), o, out), kExitUsage);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("no scenario"), std::string::npos) << err;
  o.scenarios = "";
  o.quick = true;  // no [quick] section anywhere
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_benchmarks(temp_paths(dir), o, out), kExitUsage);
  ::testing::internal::GetCapturedStderr();
}

TEST(BenchRun, missing_wsload_is_a_harness_error_naming_the_binary) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "scenarios" / "echo-small.toml", "description = \"d\"\nkind = \"echo\"\n");
  RunOutcome out;
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_benchmarks(temp_paths(dir), RunOptions{}, out), kExitHarness);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("wsload missing"), std::string::npos) << err;
}

}  // namespace
}  // namespace wsalloc::bench
