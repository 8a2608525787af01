#include "bench/tool_run.hpp"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

using namespace std::chrono_literals;

TEST(ToolRun, captures_stdout_and_the_last_stderr_line) {
  const auto dir = std::filesystem::temp_directory_path();
  ToolResult r = run_tool({"/bin/sh", "-c", "echo out; echo first >&2; echo last >&2; exit 4"}, 5s, dir,
                          "gate-tool-" + std::to_string(::getpid()));
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err_tail, "last");
  EXPECT_EQ(r.status.code, 4);
  EXPECT_FALSE(r.status.ok());
}

TEST(ToolRun, kills_a_program_that_outlives_its_timeout) {
  const auto start = std::chrono::steady_clock::now();
  ToolResult r = run_tool({"/bin/sleep", "20"}, 200ms, std::filesystem::temp_directory_path(),
                          "gate-tool-sleep-" + std::to_string(::getpid()));
  EXPECT_FALSE(r.status.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

}  // namespace
}  // namespace wsalloc::bench
